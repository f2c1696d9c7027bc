# Từng Nhà. `make run`: set up and serve the demo portal. `make test`: set up and run every test.
# Set-up is incremental: a virtualenv in .venv, htmx and the PDF font from the npm registry,
# compiled translations.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NODE_MODULES := node_modules/.installed
HTMX := portal/static/vendor/htmx.min.js
# Tinos, metric-compatible with Times New Roman, for the official PDFs (portal/lists/pdf.py):
# the Latin and Vietnamese subsets of the four faces.
FONTS := portal/static/vendor/fonts
TINOS := $(foreach subset,latin vietnamese,$(foreach face,400-normal 400-italic 700-normal 700-italic,tinos-$(subset)-$(face)))
CATALOGUE := portal/translations/vi/LC_MESSAGES/messages
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: setup run test bench translations-update clean

ICONS := portal/static/vendor/icons/icon-512.png

setup: $(VENV)/.installed $(HTMX) $(FONTS)/OFL.txt $(CATALOGUE).mo $(ICONS)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

$(NODE_MODULES): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

$(HTMX): $(NODE_MODULES)
	mkdir -p $(dir $@)
	cp node_modules/htmx.org/dist/htmx.min.js $@

# Unpacked to plain TrueType by fontTools (a WeasyPrint dependency), which keeps them byte for
# byte: WeasyPrint would unpack a woff itself and stamp the time into it, so the PDF would
# change every second. The licence (SIL OFL 1.1) is copied last: it marks a full set.
$(FONTS)/OFL.txt: $(NODE_MODULES) $(VENV)/.installed
	mkdir -p $(FONTS)
	for font in $(TINOS); do \
		$(BIN)/fonttools ttLib.woff2 decompress -q -o $(FONTS)/$$font.ttf \
			node_modules/@fontsource/tinos/files/$$font.woff2 || exit 1; \
	done
	cp node_modules/@fontsource/tinos/LICENSE $@

# The installable app's PNG icons, drawn from the shapes of portal/static/icons/icon.svg.
$(ICONS): portal/offline/icons.py $(VENV)/.installed
	$(BIN)/python -m portal.offline.icons $(dir $@)

$(CATALOGUE).mo: $(CATALOGUE).po $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -d portal/translations

run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed-demo --if-empty
	@echo
	@echo "  Từng Nhà is at http://$(HOST):$(PORT)"
	@echo "  Demo logins (password tungnha-demo): screener, commune_lead, district_officer, clerk, admin"
	@echo
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# The whole suite on SQLite, then again on PostgreSQL when TEST_DATABASE_URL is set.
test: setup
	$(BIN)/pytest
	@if [ -n "$(TEST_DATABASE_URL)" ]; then \
		echo "== again on PostgreSQL: $(TEST_DATABASE_URL)"; \
		TUNGNHA_TEST_DATABASE_URL="$(TEST_DATABASE_URL)" $(BIN)/pytest; \
	fi

bench: setup
	$(BIN)/python bench/run.py

# After adding user-facing strings: extract them, then translate the new entries in the .po.
translations-update: setup
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location -o build/messages.pot portal
	$(BIN)/pybabel update -i build/messages.pot -d portal/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) node_modules portal/static/vendor build *.egg-info

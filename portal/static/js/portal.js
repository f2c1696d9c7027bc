// Từng Nhà: the little the pages need beyond htmx. No inline scripts anywhere (CSP).
document.addEventListener("click", function (event) {
  var target = event.target.closest("[data-print]");
  if (target) {
    event.preventDefault();
    window.print();
  }
});

// A request that fails says so, in the page's language, with a way to send it again: no
// network, no answer in time, a server fault, a session that ended, a request refused (a
// conflict, a body too large): the page then needs loading again. The texts come from the
// page (#net-status's data-*), so they are the catalogue's. Sending a visit's form again is
// safe: it carries its client id, and the server saves a knock once.
(function () {
  var failed = null;

  function banner() {
    return document.getElementById("net-status");
  }

  function say(kind, elt, status) {
    var box = banner();
    if (!box) return;
    failed = elt;
    var text = box.dataset[kind] || box.dataset.server;
    box.querySelector(".net-text").textContent = status ? text + " (" + status + ")" : text;
    box.querySelector(".net-retry").hidden = kind === "login" || kind === "refused";
    box.querySelector(".net-login").hidden = kind !== "login";
    box.querySelector(".net-reload").hidden = kind !== "refused";
    box.hidden = false;
  }

  function quiet() {
    var box = banner();
    if (box) box.hidden = true;
    failed = null;
  }

  function retry() {
    var elt = failed;
    quiet();
    if (!elt || !document.body.contains(elt)) {
      window.location.reload();
      return;
    }
    if (elt.tagName === "FORM") {
      elt.requestSubmit();
    } else {
      var trigger = (elt.getAttribute("hx-trigger") || "click").split(/[\s,]/)[0];
      htmx.trigger(elt, trigger);
    }
  }

  document.addEventListener("htmx:sendError", function (event) {
    say(navigator.onLine === false ? "offline" : "unreachable", event.detail.elt);
  });
  document.addEventListener("htmx:timeout", function (event) {
    say("timeout", event.detail.elt);
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    if (status === 401) say("login", event.detail.elt);
    else if (status >= 500) say("server", event.detail.elt, status);
    else say("refused", event.detail.elt, status);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) quiet();
  });
  document.addEventListener("click", function (event) {
    if (event.target.closest("#net-status .net-retry")) {
      event.preventDefault();
      retry();
    } else if (event.target.closest("#net-status .net-reload")) {
      event.preventDefault();
      window.location.reload();
    } else if (event.target.closest("#net-status .net-close")) {
      event.preventDefault();
      quiet();
    }
  });
})();

// Work with no signal (issue 14): the service worker, the copy of the user's hamlets, the
// outbox of visits recorded here. What a phone keeps belongs to the user logged in on it.
(function () {
  var store = window.TungNha;
  var body = document.body;
  var user = body.dataset.user ? Number(body.dataset.user) : null;
  var copyHours = Number(body.dataset.copyHours || 24);
  // A copy younger than this is not fetched again when a page opens.
  var FRESH_MS = 10 * 60 * 1000;
  var texts = document.getElementById("outbox-texts");
  if (!store || !("indexedDB" in window)) return;

  function text(name) { return texts ? texts.dataset[name] || "" : ""; }
  function label(outcome) {
    try { return JSON.parse(text("outcomes"))[outcome] || outcome; } catch (e) { return outcome; }
  }
  function hhmm(iso) {
    var d = new Date(iso);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getDate()) + "/" + two(d.getMonth() + 1) + "/" + d.getFullYear() + " " +
      two(d.getHours()) + ":" + two(d.getMinutes());
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  // The visits of one person waiting here (or refused), as the card shows them.
  function notices(entries) {
    var box = el("div", { class: "outbox-notices", role: "status" });
    entries.forEach(function (e) {
      var refused = e.state === "refused";
      box.appendChild(el("div", { class: "outbox-entry " + (refused ? "refused" : "waiting"),
                                  "data-client": e.client_uuid }, [
        el("p", {}, [
          el("strong", { text: (refused ? text("refusedBadge") : text("waiting")) + ": " }),
          document.createTextNode(label(e.outcome) + " · " + text("at") + " " + hhmm(e.recorded_at)),
        ]),
        refused && e.message ? el("p", { class: "error", text: text("refused") + " " + e.message }) : null,
        el("button", { type: "button", class: "link outbox-discard", "data-client": e.client_uuid,
                       text: refused ? text("discard") : text("undo") }),
      ]));
    });
    return box;
  }

  function count() {
    if (user === null) return Promise.resolve([]);
    return store.mine(user).then(function (entries) {
      var link = document.getElementById("outbox-link");
      if (link) {
        link.hidden = entries.length === 0;
        link.querySelector(".n").textContent = entries.length;
        link.classList.toggle("has-refused", entries.some(function (e) { return e.state === "refused"; }));
      }
      return entries;
    });
  }

  // Where the page shows people (a card, a household), the ones with visits waiting say so.
  function mark(entries) {
    var by = {};
    entries.forEach(function (e) { (by[e.resident_id] = by[e.resident_id] || []).push(e); });
    document.querySelectorAll("[data-resident-row]").forEach(function (row) {
      var old = row.querySelector(".chip.outbox");
      if (old) old.remove();
      var waiting = by[row.dataset.residentRow];
      if (waiting) {
        row.appendChild(el("span", { class: "chip outbox", text: text("waiting") + " (" + waiting.length + ")" }));
      }
    });
    var record = document.querySelector("#record[data-resident]");
    if (record) {
      var old = record.querySelector(".outbox-notices");
      if (old) old.remove();
      var mineHere = by[record.dataset.resident];
      if (mineHere) record.insertBefore(notices(mineHere), record.firstChild);
    }
  }

  function refresh() { return count().then(function (entries) { mark(entries); return entries; }); }

  function say(message) {
    var box = document.getElementById("net-status");
    if (!box) return;
    box.querySelector(".net-text").textContent = message;
    box.querySelector(".net-retry").hidden = true;
    box.querySelector(".net-login").hidden = true;
    box.querySelector(".net-reload").hidden = true;
    box.hidden = false;
  }

  // The session ended with visits still waiting: they stay, and go after the login, which
  // comes back to this page.
  function askLogin(waiting) {
    var box = document.getElementById("net-status");
    if (!box) return;
    say(text("loginToSend").replace("%(n)s", waiting));
    var login = box.querySelector(".net-login");
    login.href = "/login?next=" + encodeURIComponent(window.location.pathname + window.location.search);
    login.hidden = false;
  }

  var sending = null;
  function send() {
    if (user === null || sending) return sending || Promise.resolve(null);
    sending = store.mine(user).then(function (entries) {
      var waiting = entries.filter(function (e) { return e.state === "waiting"; }).length;
      if (!waiting) return null;
      return store.flush().then(function (result) {
        if (result.login) askLogin(waiting);
        if (result.sent) say(text("sent").replace("%(n)s", result.sent));
        if (result.refused) say(text("someRefused").replace("%(n)s", result.refused));
        return result;
      });
    }).finally(function () { sending = null; return refresh(); });
    return sending;
  }

  function later() {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register("tungnha-outbox");
    }).catch(function () {});
  }

  // A visit form whose request failed or had no answer in time: kept here, with its client
  // id, to be sent when the network is back. The card says so at once; the forms get new
  // client ids, so that another outcome recorded meanwhile is a visit of its own.
  function keep(form) {
    var record = form.closest("#record[data-resident]") || document.querySelector("#record[data-resident]");
    if (!record || user === null) return Promise.resolve(null);
    var data = new FormData(form);
    if (form.dataset.sentUuid) data.set("client_uuid", form.dataset.sentUuid);
    var entry = store.entryFrom(data, {
      user: user, resident_id: Number(record.dataset.resident),
      hamlet_id: Number(record.dataset.hamlet) || null, name: record.dataset.name,
    });
    return store.enqueue(entry).then(function () {
      document.querySelectorAll("form[data-outbox] input[name=client_uuid]").forEach(function (input) {
        input.value = store.uuid();
      });
      form.reset && form.closest("details") && (form.closest("details").open = false);
      say(text("kept"));
      later();
      return refresh();
    });
  }
  window.TungNhaPage = { notices: notices, refresh: refresh, send: send, keep: keep, say: say,
                         label: label, when: hhmm, el: el, text: text, user: user };

  // htmx's failures of a visit form (no network, no answer in time) go to the outbox rather
  // than to the banner of portal.js's first part.
  function outboxForm(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.matches && elt.matches("form[data-outbox]") ? elt : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = outboxForm(event);
    if (form) {
      var sent = form.querySelector("input[name=client_uuid]");
      form.dataset.sentUuid = sent ? sent.value : "";
    }
    if (form && navigator.onLine === false) {
      event.preventDefault();
      keep(form);
    }
  });
  ["htmx:sendError", "htmx:timeout"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      var form = outboxForm(event);
      if (form) {
        event.stopImmediatePropagation();
        keep(form).then(function () {
          var status = document.getElementById("net-status");
          if (status) say(text("kept"));
        });
      }
    }, true);
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".outbox-discard");
    if (!button) return;
    event.preventDefault();
    store.discard(button.dataset.client).then(function (removed) {
      if (!removed) window.location.reload();  // sent meanwhile: the card shows it, with Undo
      else refresh().then(function () { document.dispatchEvent(new CustomEvent("tungnha:outbox")); });
    });
  });

  // Logging out empties what this phone keeps for the user: their copy, and their outbox
  // after a warning when visits still wait there.
  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-logout]");
    if (!form || form.dataset.cleared) return;
    event.preventDefault();
    store.mine(user).then(function (entries) {
      if (entries.length && !window.confirm(text("logoutWarning").replace("%(n)s", entries.length))) {
        return;
      }
      return store.forget(user).then(function () {
        form.dataset.cleared = "1";
        form.submit();
      });
    });
  }, true);

  // The shell page that draws the copy with no network, kept for this user.
  function keepShell() {
    if (!body.dataset.shell || !window.caches) return Promise.resolve();
    return caches.open("tungnha-user").then(function (cache) {
      return cache.match(body.dataset.shell).then(function (kept) {
        return kept || cache.add(body.dataset.shell);
      });
    });
  }

  function getJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (answer) { return answer.ok ? answer.json() : null; });
  }

  // The copy of the user's hamlets, fetched again when older than FRESH_MS.
  function copyNow() {
    if (!body.dataset.copies || navigator.onLine === false) return Promise.resolve();
    return store.copies(user, copyHours).then(function (kept) {
      var fresh = kept.length && kept.every(function (c) { return Date.now() - c.fetched_at < FRESH_MS; });
      if (fresh) return null;
      return getJson(body.dataset.copies).then(function (index) {
        if (!index || index.user !== user) return null;
        var wanted = index.hamlets.map(function (h) { return h.id; });
        var gone = kept.filter(function (c) { return wanted.indexOf(c.hamlet) < 0; });
        return Promise.all(gone.map(function (c) { return store.remove("copies", c.hamlet); }))
          .then(function () {
            return Promise.all(index.hamlets.map(function (h) {
              return getJson(h.url).then(function (copy) {
                if (!copy || copy.user !== user) return null;
                return store.put("copies", { hamlet: h.id, user: user, fetched_at: Date.now(), data: copy });
              });
            }));
          });
      });
    }).catch(function () {});
  }

  if (navigator.serviceWorker && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "outbox-sent") {
        refresh().then(function () { document.dispatchEvent(new CustomEvent("tungnha:outbox")); });
      }
    });
  }
  window.addEventListener("online", function () { send(); });
  document.addEventListener("htmx:afterSettle", function () { refresh(); });

  // The shell pages (drawn from the copy) and the welcome page are served from the phone with
  // no network: they do not say whose phone it is.
  var offlinePage = body.dataset.offlinePage;
  (offlinePage ? Promise.resolve(false) : store.claim(user)).then(function () {
    return refresh();
  }).then(function () {
    if (user === null) return null;
    if (offlinePage) return send();
    return keepShell().catch(function () {}).then(send).then(copyNow);
  }).then(function () {
    document.dispatchEvent(new CustomEvent("tungnha:ready"));
  });
  setInterval(function () { if (navigator.onLine !== false) send(); }, 30000);
})();

"""The forms of the import screens: the file uploaded, and the column that holds each field."""

from __future__ import annotations

from collections import Counter

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import Field, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from portal.forms import Form
from portal.imports.models import Import, ImportKind
from portal.imports.service import FIELDS, REQUIRED
from portal.labels import IMPORT_FIELD, IMPORT_KIND
from portal.units.models import AdministrativeUnit


class UploadForm(Form):
    """What the file holds, the commune it is about, and the file."""

    # Choices are checked by the validators below, with the screen's own words.
    kind = RadioField(_l("The file holds"), validate_choice=False,
                      choices=[SelectChoice(k.value, IMPORT_KIND[k.value]) for k in ImportKind])
    commune = SelectField(_l("Commune"), validate_choice=False, render_kw={"required": True})
    file = FileField(_l("File (.xlsx, .xls or .csv)"),
                     validators=[FileRequired(message=_l("Choose a file to upload."))],
                     render_kw={"accept": ".xlsx,.xls,.csv"})

    def __init__(self, *args, communes: list[AdministrativeUnit] | None, **kwargs):
        """`communes`: those the user may choose from; None for a commune lead, whose files
        are about their own commune (the form then has no commune field)."""
        super().__init__(*args, **kwargs)
        self.communes = {str(commune.id): commune for commune in communes or ()}
        if communes is None:
            del self.commune
        else:
            self.commune.choices = [SelectChoice("", "—")] + [
                SelectChoice(str(commune.id), commune.name) for commune in communes]

    def validate_kind(self, field: Field) -> None:
        if field.data not in {kind.value for kind in ImportKind}:
            raise ValidationError(_l("Choose what the file holds."))

    def validate_commune(self, field: Field) -> None:
        if field.data not in self.communes:
            raise ValidationError(_l("Choose the commune the file is about."))

    @property
    def chosen_commune(self) -> AdministrativeUnit | None:
        """The commune chosen, once validated; None for a commune lead's form."""
        return self.communes.get(self.commune.data) if self.commune else None


def _column(value) -> int | None:
    """A select's value as a column index; "" (not in the file), or anything else, is none."""
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else None


class MappingForm(Form):
    """Which column of the file holds each field of its kind; made by mapping_form."""

    def __init__(self, *args, width: int, required: tuple[str, ...], **kwargs):
        super().__init__(*args, **kwargs)
        self.width, self.required = width, required

    @property
    def columns(self) -> list[SelectField]:
        """The fields' selects, in the order of the kind's fields."""
        return [field for field in self if isinstance(field, SelectField)]

    @property
    def mapping(self) -> dict[str, int]:
        """Field name -> column index, for the fields mapped to a column of the file."""
        return {field.name: field.data for field in self.columns
                if field.data is not None and field.data < self.width}

    def validate(self, extra_validators=None) -> bool:
        """The required fields each have a column, and no column holds two fields."""
        valid = super().validate(extra_validators)
        mapping = self.mapping
        shared = Counter(mapping.values())
        for field in self.columns:
            if field.name in self.required and field.name not in mapping:
                field.errors = [*field.errors, _l("Choose a column for each field marked *.")]
            elif shared[mapping.get(field.name)] > 1:
                field.errors = [*field.errors, _l("Each column can hold one field only.")]
        return valid and not any(field.errors for field in self.columns)


def mapping_form(upload: Import, **kwargs) -> MappingForm:
    """The mapping form of an upload: one select per field of its kind, over its columns, the
    fields an import cannot do without marked *. kwargs go to the form (formdata, data)."""
    required = REQUIRED[upload.kind]
    choices = [SelectChoice("", _l("(not in the file)"))] + [
        SelectChoice(str(index), header) for index, header in enumerate(upload.headers)]
    selects = {
        name: SelectField(f"{IMPORT_FIELD[name]} *" if name in required else IMPORT_FIELD[name],
                          id=f"map-{name}", choices=choices, coerce=_column,
                          validate_choice=False)
        for name in FIELDS[upload.kind]
    }
    form_class = type(f"{upload.kind.value.title()}MappingForm", (MappingForm,), selects)
    return form_class(width=len(upload.headers), required=required, **kwargs)

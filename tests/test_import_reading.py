"""Reading imported spreadsheets: CSV, XLSX, legacy XLS, TCVN3 and VNI text, dates, column guesses.

Every file is made here, as the tools that make them in communes would: Excel's CSV flavours,
openpyxl for workbooks, and a hand-built BIFF8 workbook in an OLE container for the legacy .xls
(no writer of the format is a dependency; the builder follows the [MS-XLS] and [MS-CFB] specs).
"""

from __future__ import annotations

import csv
import io
import shutil
import struct
import subprocess
import unicodedata
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from openpyxl import Workbook

from portal.imports import legacy
from portal.imports.reading import (DAMAGED, DOSE_FIELDS, EMPTY, ENCRYPTED, NO_HEADER,
                                    NOT_A_SPREADSHEET, RESIDENT_FIELDS, UNREADABLE_TEXT,
                                    ParsedDate, UnreadableFile, guess_mapping, parse_birth_date,
                                    parse_date, read_table)

NAMES = [
    "Nguyễn Văn Hùng", "Trần Thị Ánh Tuyết", "Lê Đức Thọ", "Phạm Thị Hường", "Huỳnh Ngọc Ẩn",
    "Đặng Thùy Trâm", "Võ Thị Sáu", "Ấp Mỹ Khánh", "Phường Cái Khế", "Ngô Bảo Châu",
    "Ưng Hoàng Phúc", "Ỷ Lan", "Lý Thường Kiệt", "Hồ Xuân Hương", "Quách Tuấn Du",
    "Giang Ngọc Ẩn Oanh", "DANH SÁCH NHÂN KHẨU", "NGUYỄN VĂN HÙNG", "Họ và tên", "Ngày sinh",
    "Giới tính", "Nữ", "Thôn/Ấp/Tổ", "Số CCCD",
]
HEADERS = ["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Thôn/Ấp/Tổ"]
RESIDENTS = [
    ["1", "Nguyễn Văn Hùng", "01/01/1991", "Nam", "092091001234", "Ấp Mỹ Khánh"],
    ["2", "Trần Thị Ánh Tuyết", "15/08/1985", "Nữ", "092185004321", "Ấp Mỹ Khánh"],
    ["3", "Huỳnh Ngọc Ẩn", "1948", "Nam", "", "Phường Cái Khế"],
]


# --- Files as communes have them -----------------------------------------------------------

def csv_bytes(rows, encoding="utf-8-sig", delimiter=",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def cp1258(text: str) -> bytes:
    """Text as Vietnamese Windows saves it: letters 1258 lacks become base letter + tone byte."""
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            marks = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize(
                "NFC", marks[0] + "".join(m for m in marks[1:] if m not in legacy.TONES))
            tone = "".join(m for m in marks[1:] if m in legacy.TONES)
            out += base.encode("cp1258") + tone.encode("cp1258")
    return bytes(out)


def xlsx(rows, merges=(), title="Nhân khẩu", before=None) -> bytes:
    """A workbook of one sheet (after an optional hidden one) holding `rows` from A1."""
    workbook = Workbook()
    sheet = workbook.active
    if before is not None:
        sheet.title = "Ẩn"
        sheet.append(before)
        sheet.sheet_state = "hidden"
        sheet = workbook.create_sheet()
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    for cell_range in merges:
        sheet.merge_cells(cell_range)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ole(streams: dict[str, bytes]) -> bytes:
    """An OLE compound file (MS-CFB version 3) holding the streams, one FAT sector."""
    sector, end, free = 512, 0xFFFFFFFE, 0xFFFFFFFF
    fat = [0xFFFFFFFD, end]  # sector 0 holds the FAT, sector 1 the directory
    body, entries = b"", []
    for name, stream in streams.items():
        stream = stream.ljust(4096, b"\0")  # 4096 bytes or more: out of the mini stream
        stream += b"\0" * (-len(stream) % sector)
        start, count = len(fat), len(stream) // sector
        fat += list(range(start + 1, start + count)) + [end]
        entries.append((name, 2, start, len(stream)))
        body += stream
    assert len(fat) <= 128

    def entry(name, kind, start, size, right=free, child=free):
        encoded = (name + "\0").encode("utf-16-le")
        return (encoded.ljust(64, b"\0") + struct.pack("<HBB3I", len(encoded), kind, 1, free,
                                                       right, child)
                + b"\0" * 36 + struct.pack("<III", start, size, 0))

    directory = entry("Root Entry", 5, end, 0, child=1)
    for index, (name, kind, start, size) in enumerate(entries, start=1):
        directory += entry(name, kind, start, size,
                           right=index + 1 if index < len(entries) else free)
    directory = directory.ljust(sector, b"\0")
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 16
              + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096,
                            end, 0, end, 0)
              + struct.pack("<109I", 0, *[free] * 108))
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(sector, b"\xff")
    return header + fat_sector + directory + body


def _record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def _xl_string(text: str, length_bytes: int) -> bytes:
    """An XLUnicodeString: 8-bit when every character fits, as Excel stores Latin-1 text."""
    try:
        raw, flags = text.encode("latin-1"), 0
    except UnicodeEncodeError:
        raw, flags = text.encode("utf-16-le"), 1
    return struct.pack("<H" if length_bytes == 2 else "<B", len(text)) + bytes([flags]) + raw


def biff8(rows, sheet="Nhân khẩu", merges=(), encrypted=False) -> bytes:
    """A legacy .xls (BIFF8) of one sheet: text, numbers and dates from A1; merges as
    (first row, last row, first column, last column), 0-based."""
    def bof(kind):
        return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 6))

    def xf(number_format, style):
        kind = 0xFFF5 if style else 0x0001
        return _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, number_format, kind, 0x20, 0, 0,
                                           0, 0, 0, 0x20C0))

    cells = b""
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, date):
                serial = (value - date(1899, 12, 30)).days
                cells += _record(0x0203, struct.pack("<HHHd", r, c, 2, serial))
            elif isinstance(value, (int, float)):
                cells += _record(0x0203, struct.pack("<HHHd", r, c, 1, value))
            else:
                cells += _record(0x0204, struct.pack("<HHH", r, c, 1) + _xl_string(value, 2))
    width = max(len(row) for row in rows)
    worksheet = (bof(0x0010) + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
                 + cells)
    if merges:
        worksheet += _record(0x00E5, struct.pack("<H", len(merges)) + b"".join(
            struct.pack("<HHHH", *merge) for merge in merges))
    worksheet += _record(0x000A)

    font = _record(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0)
                   + _xl_string("Arial", 1))
    head = bof(0x0005)
    if encrypted:
        head += _record(0x002F, struct.pack("<HHH", 1, 1, 1) + b"\0" * 48)
    head += (_record(0x0042, struct.pack("<H", 1200)) + _record(0x0022, struct.pack("<H", 0))
             + font + xf(0, True) + xf(0, False) + xf(14, False))
    boundsheet_size = len(_record(0x0085, struct.pack("<IBB", 0, 0, 0) + _xl_string(sheet, 1)))
    offset = len(head) + boundsheet_size + len(_record(0x000A))
    workbook = (head + _record(0x0085, struct.pack("<IBB", offset, 0, 0) + _xl_string(sheet, 1))
                + _record(0x000A) + worksheet)
    return ole({"Workbook": workbook})


def refusal(filename: str, data: bytes) -> str:
    with pytest.raises(UnreadableFile) as error:
        read_table(filename, data)
    return str(error.value.message)


# --- Legacy encodings ----------------------------------------------------------------------

def every_vietnamese_letter() -> list[str]:
    letters = ["đ", "Đ"]
    for vowel in legacy.VOWELS:
        for tone in ("",) + legacy.TONES:
            letter = unicodedata.normalize("NFC", vowel + tone)
            if not letter.isascii():
                letters += [letter, letter.upper()]
    return letters


def test_there_are_134_vietnamese_letters_and_each_scheme_writes_all_of_them():
    letters = every_vietnamese_letter()
    assert len(set(letters)) == 134
    for scheme in legacy.SCHEMES:
        for letter in letters:
            encoded = legacy.from_unicode(letter, scheme)
            assert all(0xA0 <= ord(ch) <= 0xFF or ch.isascii() for ch in encoded), (scheme, letter)
    # VNI writes each letter its own way; TCVN3 each lowercase one.
    assert len({legacy.from_unicode(letter, "vni") for letter in letters}) == 134
    lowercase = [letter for letter in letters if letter.islower()]
    assert len({legacy.from_unicode(letter, "tcvn3") for letter in lowercase}) == 67


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
def test_every_letter_reads_back(scheme):
    for letter in every_vietnamese_letter():
        decoded = legacy.to_unicode(legacy.from_unicode(letter, scheme), scheme)
        if scheme == "tcvn3" and letter.isupper() and letter not in "ĂÂÊÔƠƯĐ":
            # VN3 has no capital with a tone: alone, the letter can only come back lowercase.
            assert decoded == letter.lower()
        else:
            assert decoded == letter


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
@pytest.mark.parametrize("name", NAMES)
def test_real_names_round_trip(scheme, name):
    encoded = legacy.from_unicode(name, scheme)
    assert encoded != name and all(ord(ch) <= 0xFF for ch in encoded)
    assert legacy.to_unicode(encoded, scheme) == name


@pytest.mark.parametrize(
    "garbled, scheme, expected",
    [
        ("NguyÔn V¨n Hïng", "tcvn3", "Nguyễn Văn Hùng"),
        ("Tr\xadêng THCS Lª Lîi", "tcvn3", "Trường THCS Lê Lợi"),
        ("DANH S¸CH NH¢N KHÈU", "tcvn3", "DANH SÁCH NHÂN KHẨU"),
        ("Lª", "tcvn3", "Lê"),  # two letters in title case, not LÊ
        ("Nguyeãn Vaên Huøng", "vni", "Nguyễn Văn Hùng"),
        ("Ñaëng Thuøy Traâm", "vni", "Đặng Thùy Trâm"),
        ("AÁp Myõ Khaùnh", "vni", "Ấp Mỹ Khánh"),
    ],
)
def test_text_as_it_shows_in_excel_reads_as_vietnamese(garbled, scheme, expected):
    assert legacy.to_unicode(garbled, scheme) == expected


def test_vni_bytes_agree_with_the_published_table():
    # Typed from the VNI-Windows code table, not from the module's own tables.
    table = {"ô": "ơ", "ö": "ư", "ñ": "đ", "Ñ": "Đ", "î": "ỵ", "Î": "Ỵ", "í": "í", "ì": "ì",
             "æ": "ỉ", "ó": "ĩ", "ò": "ị", "aá": "ấ", "aà": "ầ", "aå": "ẩ", "aã": "ẫ", "aä": "ậ",
             "aé": "ắ", "aè": "ằ", "aú": "ẳ", "aü": "ẵ", "aë": "ặ", "AÙ": "Á", "OÂ": "Ô",
             "ÔØ": "Ờ", "öï": "ự", "yõ": "ỹ", "eâ": "ê", "aê": "ă"}
    for code, letter in table.items():
        assert legacy.to_unicode(code, "vni") == letter, code


def test_tcvn3_bytes_agree_with_the_published_table():
    # Typed from TCVN 5712:1993 (VN3), not from the module's own tables.
    table = {0xA8: "ă", 0xA9: "â", 0xAA: "ê", 0xAB: "ô", 0xAC: "ơ", 0xAD: "ư", 0xAE: "đ",
             0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
             0xB5: "à", 0xB8: "á", 0xB9: "ạ", 0xC6: "ặ", 0xCB: "ậ", 0xD0: "é", 0xD4: "ễ",
             0xDC: "ĩ", 0xDE: "ị", 0xE8: "ố", 0xEE: "ợ", 0xEF: "ù", 0xF9: "ự", 0xFE: "ỵ"}
    for code, letter in table.items():
        assert legacy.to_unicode(chr(code), "tcvn3") == letter, hex(code)


def _iconv_has_tcvn() -> bool:
    if not shutil.which("iconv"):
        return False
    probe = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=b"\xb8",
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _iconv_has_tcvn(), reason="no iconv with TCVN5712-1 on this machine")
def test_tcvn3_table_agrees_with_glibc_iconv():
    # 0xB0-0xB4 are VN2's combining tone marks, which the module leaves as they are.
    codes = [code for code in range(0xA1, 0x100) if not 0xB0 <= code <= 0xB4]
    decoded = subprocess.run(["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"],
                             input=b"\n".join(bytes([code]) for code in codes),
                             capture_output=True, check=True).stdout.decode().split("\n")
    assert [legacy.to_unicode(chr(code), "tcvn3") for code in codes] == decoded


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
def test_detect_finds_the_scheme_of_legacy_text(scheme):
    sample = "\n".join(legacy.from_unicode(name, scheme) for name in NAMES)
    assert legacy.detect(sample) == scheme


@pytest.mark.parametrize(
    "text",
    [
        "\n".join(NAMES),
        unicodedata.normalize("NFD", "\n".join(NAMES)),
        "\n".join(NAMES).upper(),
        "Hà Nội, Thành phố Hồ Chí Minh, Bà Rịa - Vũng Tàu, Thừa Thiên Huế",
        "Nguyen Van Hung, 01/01/1990, Nam",
        "",
        "José Müller, Zoë Saldaña, café crème",
    ],
)
def test_detect_leaves_unicode_and_ascii_alone(text):
    assert legacy.detect(text) is None


def test_text_that_already_has_unicode_letters_is_not_converted():
    assert legacy.to_unicode("Nguyễn Văn Hùng", "tcvn3") == "Nguyễn Văn Hùng"
    assert legacy.to_unicode("Trần Thị Ánh", "vni") == "Trần Thị Ánh"


@pytest.mark.parametrize(
    "text, garbled",
    [
        ("Nguyễn Văn Hùng\nTrần Thị Ánh Tuyết", False),
        ("Nguyá»…n VÄƒn HÃ¹ng\nTráº§n Thá»‹ Ãnh Tuyáº¿t", True),  # UTF-8 read as 1252
        ("Nguy\ufffdn V\ufffdn H\ufffdng", True),
        ("NguyÒn V¡n Hõng Tr¢n ThÜ ¡nh", True),  # neither scheme makes sense of it
        ("José Müller\nNguyễn Văn Hùng", False),
    ],
)
def test_garbled_text_is_told_from_vietnamese(text, garbled):
    assert legacy.looks_garbled(text) is garbled


# --- CSV -----------------------------------------------------------------------------------

def test_csv_saved_as_csv_utf8_by_excel():
    table = read_table("nhan-khau.csv", csv_bytes([HEADERS, *RESIDENTS]))
    assert table.headers == HEADERS
    assert [row.line for row in table.rows] == [2, 3, 4]
    assert table.rows[0].cells == RESIDENTS[0]
    assert table.rows[2].cells[4] is None  # an empty cell is None, not ""
    assert table.scheme is None and table.sheet is None


def test_csv_in_windows_1258_with_separate_tone_marks():
    data = cp1258("\r\n".join(",".join(row) for row in [HEADERS, *RESIDENTS]))
    assert b"\xcc" in data or b"\xec" in data  # tones really are separate bytes
    table = read_table("nhan-khau.csv", data)
    assert table.headers == HEADERS
    assert [row.cells[1] for row in table.rows] == [row[1] for row in RESIDENTS]
    assert unicodedata.is_normalized("NFC", table.rows[1].cells[1])


def test_csv_in_windows_1252_when_1258_cannot_read_it():
    # Š is a byte Windows-1258 does not define.
    data = "Ho ten,Quoc tich\r\nŠtefan Müller,Slovakia\r\nNguyen Van Nam,Viet Nam\r\n"
    table = read_table("nuoc-ngoai.csv", data.encode("cp1252"))
    assert table.rows[0].cells == ["Štefan Müller", "Slovakia"]


def test_csv_with_semicolons_and_commas_inside_cells():
    rows = [HEADERS + ["Địa chỉ"], RESIDENTS[0] + ["Số 12, đường 3/2, phường Cái Khế"]]
    table = read_table("nhan-khau.csv", csv_bytes(rows, delimiter=";"))
    assert table.headers[-1] == "Địa chỉ"
    assert table.rows[0].cells[-1] == "Số 12, đường 3/2, phường Cái Khế"


def test_csv_in_utf16_with_tabs_as_excel_saves_unicode_text():
    table = read_table("nhan-khau.csv", csv_bytes([HEADERS, *RESIDENTS], "utf-16", "\t"))
    assert table.headers == HEADERS
    assert table.rows[1].cells[1] == "Trần Thị Ánh Tuyết"


def test_csv_title_blank_lines_and_blank_columns():
    rows = [
        ["DANH SÁCH NHÂN KHẨU XÃ MỸ KHÁNH", "", "", "", ""],
        ["", "", "", "", ""],
        ["Họ và tên", "", "Ngày sinh", "Giới tính", ""],
        ["Nguyễn Văn Hùng", "", "01/01/1991", "Nam", ""],
        ["", "", "", "", ""],
        ["Lê Đức Thọ", "", "10/10/1911", "Nam", "ghi chú lạc cột"],
    ]
    table = read_table("nhan-khau.csv", csv_bytes(rows))
    # The unnamed column with data is named by its letter; the empty one is gone.
    assert table.headers == ["Họ và tên", "Ngày sinh", "Giới tính", "E"]
    assert [row.line for row in table.rows] == [4, 6]
    assert table.rows[1].cells == ["Lê Đức Thọ", "10/10/1911", "Nam", "ghi chú lạc cột"]


def test_csv_two_row_header_without_merges():
    rows = [
        ["STT", "Thông tin cá nhân", "", "", "Địa chỉ"],
        ["", "Họ và tên", "Ngày sinh", "Giới tính", ""],
        ["1", "Nguyễn Văn Hùng", "01/01/1991", "Nam", "Ấp Mỹ Khánh"],
    ]
    table = read_table("nhan-khau.csv", csv_bytes(rows))
    assert table.headers == ["STT", "Thông tin cá nhân: Họ và tên",
                             "Thông tin cá nhân: Ngày sinh", "Thông tin cá nhân: Giới tính",
                             "Địa chỉ"]
    assert [row.line for row in table.rows] == [3]


@pytest.mark.parametrize("merged", [False, True], ids=["csv", "xlsx-merged"])
def test_three_row_header_of_doses(merged):
    rows = [["STT", "Họ và tên", "Thông tin tiêm chủng", None, None, None],
            [None, None, "Mũi 1", None, "Mũi 2", None],
            [None, None, "Ngày tiêm", "Vắc xin", "Ngày tiêm", "Vắc xin"],
            ["1", "Nguyễn Văn Hùng", "01/06/2021", "AstraZeneca", "01/09/2021", "Pfizer"]]
    if merged:
        data = xlsx(rows, merges=["A1:A3", "B1:B3", "C1:F1", "C2:D2", "E2:F2"])
    else:
        data = csv_bytes([[cell or "" for cell in row] for row in rows])
    table = read_table("mui-tiem.xlsx" if merged else "mui-tiem.csv", data)
    group = "Thông tin tiêm chủng"
    assert table.headers == ["STT", "Họ và tên", f"{group}: Mũi 1: Ngày tiêm",
                             f"{group}: Mũi 1: Vắc xin", f"{group}: Mũi 2: Ngày tiêm",
                             f"{group}: Mũi 2: Vắc xin"]
    assert [row.line for row in table.rows] == [4]


def test_the_letterhead_of_an_official_form_is_not_part_of_the_header():
    rows = [
        ["UBND XÃ MỸ KHÁNH", "", "", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"],
        ["CÔNG AN XÃ", "", "", "Độc lập - Tự do - Hạnh phúc"],
        ["", "", "", ""],
        ["STT", "Họ và tên", "Ngày sinh", "Giới tính"],
        ["1", "Nguyễn Văn Hùng", "01/01/1991", "Nam"],
    ]
    table = read_table("nhan-khau.csv", csv_bytes(rows))
    assert table.headers == ["STT", "Họ và tên", "Ngày sinh", "Giới tính"]


def test_repeated_headers_are_told_apart():
    rows = [["Họ và tên", "Ghi chú", "Ghi chú"], ["Nguyễn Văn Hùng", "ốm", "vắng nhà"]]
    table = read_table("nhan-khau.csv", csv_bytes(rows))
    assert table.headers == ["Họ và tên", "Ghi chú", "Ghi chú (2)"]


def test_column_numbers_under_the_header_are_not_a_row():
    rows = [HEADERS, [f"({n})" for n in range(1, 7)], *RESIDENTS]
    table = read_table("nhan-khau.csv", csv_bytes(rows))
    assert [row.line for row in table.rows] == [3, 4, 5]


# --- XLSX ----------------------------------------------------------------------------------

def test_xlsx_with_title_rows_blank_rows_and_typed_cells():
    rows = [
        ["DANH SÁCH NHÂN KHẨU"],
        ["Xã Mỹ Khánh, huyện Phong Điền"],
        [],
        ["STT", "Họ và tên", "Ngày sinh", None, "Số CCCD", "Số điện thoại"],
        [1, "  Nguyễn Văn Hùng ", datetime(1991, 1, 1), None, 92091001234, "0912345678"],
        [],
        [2, unicodedata.normalize("NFD", "Trần Thị Ánh Tuyết"), 33239, None, None, 912345678],
        [None, None, None, None, None, None],
        [3, "Huỳnh Ngọc Ẩn", "01/01/1991", None, None, None],
    ]
    table = read_table("nhan-khau.xlsx", xlsx(rows, merges=["A1:F1"]))
    assert table.sheet == "Nhân khẩu"
    assert table.headers == ["STT", "Họ và tên", "Ngày sinh", "Số CCCD", "Số điện thoại"]
    assert [row.line for row in table.rows] == [5, 7, 9]
    first, second, third = (row.cells for row in table.rows)
    assert first == ["1", "Nguyễn Văn Hùng", date(1991, 1, 1), "92091001234", "0912345678"]
    assert second[1] == "Trần Thị Ánh Tuyết"  # composed (NFC)
    # A date kept three ways reads as the same day.
    assert second[2] == "33239" and third[2] == "01/01/1991"
    assert parse_date(first[2]) == parse_date(second[2]) == parse_date(third[2])
    assert second[4] == "912345678"


def test_xlsx_merged_two_row_header():
    rows = [
        ["DANH SÁCH NHÂN KHẨU"],
        [],
        ["STT", "Thông tin cá nhân", None, None, "Địa chỉ", "Mã hộ"],
        [None, "Họ và tên", "Ngày sinh", "Giới tính", None, None],
        [1, "Nguyễn Văn Hùng", date(1991, 1, 1), "Nam", "Ấp Mỹ Khánh", "H01"],
        [2, "Trần Thị Ánh Tuyết", date(1985, 8, 15), "Nữ", "Ấp Mỹ Khánh", None],
        [3, "Lê Đức Thọ", date(1950, 3, 2), "Nam", "Phường Cái Khế", "H02"],
    ]
    merges = ["A1:F1", "A3:A4", "B3:D3", "E3:E4", "F3:F4", "F5:F6"]
    table = read_table("nhan-khau.xlsx", xlsx(rows, merges))
    assert table.headers == ["STT", "Thông tin cá nhân: Họ và tên",
                             "Thông tin cá nhân: Ngày sinh", "Thông tin cá nhân: Giới tính",
                             "Địa chỉ", "Mã hộ"]
    assert [row.line for row in table.rows] == [5, 6, 7]
    # The household code merged down over its two members belongs to both.
    assert [row.cells[5] for row in table.rows] == ["H01", "H01", "H02"]
    assert guess_mapping(table.headers, RESIDENT_FIELDS) == {
        "full_name": 1, "birth_date": 2, "sex": 3, "address": 4, "household_code": 5}


def test_xlsx_reads_the_first_visible_sheet():
    data = xlsx([HEADERS, RESIDENTS[0]], before=["Mật khẩu", "Ghi chú"])
    table = read_table("nhan-khau.xlsx", data)
    assert table.sheet == "Nhân khẩu" and table.rows[0].cells[1] == "Nguyễn Văn Hùng"


def test_an_xlsx_renamed_xls_is_read_all_the_same():
    table = read_table("nhan-khau.xls", xlsx([HEADERS, RESIDENTS[0]]))
    assert table.headers == HEADERS


# --- Legacy encodings in files -------------------------------------------------------------

def _legacy(rows, scheme):
    return [[legacy.from_unicode(cell, scheme) for cell in row] for row in rows]


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
def test_legacy_csv_is_converted(scheme):
    rows = _legacy([["DANH SÁCH NHÂN KHẨU"], HEADERS, *RESIDENTS], scheme)
    table = read_table("cu.csv", csv_bytes(rows, "latin-1"))
    assert table.scheme == scheme
    assert table.headers == HEADERS
    assert [row.cells for row in table.rows] == [
        [cell or None for cell in row] for row in RESIDENTS]


@pytest.mark.parametrize("scheme", legacy.SCHEMES)
def test_legacy_text_in_xlsx_cells_is_converted(scheme):
    rows = [["DANH SÁCH NHÂN KHẨU"], HEADERS, *RESIDENTS]
    table = read_table("cu.xlsx", xlsx(_legacy(rows, scheme)))
    assert table.scheme == scheme
    assert table.headers == HEADERS
    assert [row.cells[1] for row in table.rows] == [row[1] for row in RESIDENTS]


def test_legacy_xls_with_merges_dates_and_numbers():
    rows = [
        ["DANH SÁCH NHÂN KHẨU", None, None, None],
        [None, None, None, None],
        ["STT", "Họ và tên", "Ngày sinh", "Thôn/Ấp/Tổ"],
        [1, "Nguyễn Văn Hùng", date(1991, 1, 1), "Ấp Mỹ Khánh"],
        [2, "Trần Thị Ánh Tuyết", "15/08/1985", None],
    ]
    table = read_table("nhan-khau.xls", biff8(rows, merges=[(0, 0, 0, 3), (3, 4, 3, 3)]))
    assert table.sheet == "Nhân khẩu"
    assert table.headers == ["STT", "Họ và tên", "Ngày sinh", "Thôn/Ấp/Tổ"]
    assert [row.line for row in table.rows] == [4, 5]
    assert table.rows[0].cells == ["1", "Nguyễn Văn Hùng", date(1991, 1, 1), "Ấp Mỹ Khánh"]
    assert table.rows[1].cells == ["2", "Trần Thị Ánh Tuyết", "15/08/1985", "Ấp Mỹ Khánh"]


def test_legacy_xls_typed_in_tcvn3():
    rows = _legacy([HEADERS[:4], RESIDENTS[0][:4], RESIDENTS[1][:4]], "tcvn3")
    table = read_table("nhan-khau.xls", biff8(rows))
    assert table.scheme == "tcvn3"
    assert table.headers == HEADERS[:4]
    assert [row.cells[1] for row in table.rows] == ["Nguyễn Văn Hùng", "Trần Thị Ánh Tuyết"]


# --- Refusals ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "filename, data, message",
    [
        ("nhan-khau.ods", b"PK\x03\x04whatever", NOT_A_SPREADSHEET),
        ("nhan-khau.pdf", b"%PDF-1.4", NOT_A_SPREADSHEET),
        ("nhan-khau", csv_bytes([HEADERS]), NOT_A_SPREADSHEET),
        ("nhan-khau.csv", b"", EMPTY),
        ("nhan-khau.csv", b"\r\n \r\n", EMPTY),
        ("nhan-khau.csv", b"\xef\xbb\xbf", EMPTY),
        ("nhan-khau.xlsx", xlsx([]), EMPTY),
        ("nhan-khau.csv", csv_bytes([RESIDENTS[0], RESIDENTS[1]]), NO_HEADER),
        ("nhan-khau.xlsx", xlsx([["DANH SÁCH NHÂN KHẨU"]] + [[n, 1990 + n] for n in range(20)]),
         NO_HEADER),
        ("nhan-khau.xlsx", b"this is not a workbook at all", DAMAGED),
        ("nhan-khau.xlsx", xlsx([HEADERS])[:300], DAMAGED),
        ("nhan-khau.xls", b"<html><body><table><tr><td>STT</td></tr></table></body></html>",
         DAMAGED),
        ("nhan-khau.xls", ole({"Book": b"not BIFF"}), DAMAGED),
        ("nhan-khau.xlsx", ole({"EncryptionInfo": b"\x04\x00\x04\x00",
                                "EncryptedPackage": b"\x93" * 5000}), ENCRYPTED),
        ("nhan-khau.xls", biff8([HEADERS], encrypted=True), ENCRYPTED),
        ("nhan-khau.csv", csv_bytes([HEADERS, *RESIDENTS], "utf-16-le"), UNREADABLE_TEXT),
        ("nhan-khau.csv", csv_bytes([HEADERS, *RESIDENTS]).decode("utf-8-sig")
         .encode("utf-8").decode("cp1252", errors="replace").encode("utf-8"), UNREADABLE_TEXT),
        ("nhan-khau.xlsx", xlsx([HEADERS, ["1", "Nguy\ufffdn V\ufffdn H\ufffdng"]]),
         UNREADABLE_TEXT),
    ],
    ids=["ods", "pdf", "no-extension", "empty", "blank-lines", "bom-only", "empty-workbook",
         "no-header", "numbers-only", "not-a-zip", "truncated-xlsx", "html-as-xls",
         "ole-without-workbook", "encrypted-xlsx", "encrypted-xls", "utf16-without-bom",
         "utf8-read-as-1252", "replacement-characters"],
)
def test_files_that_cannot_be_read_are_refused_with_a_reason(filename, data, message):
    assert refusal(filename, data) == str(message)


def test_refusals_are_explained_in_vietnamese(app):
    expected = [
        (NOT_A_SPREADSHEET, "Chỉ nhập được tệp .csv, .xlsx và .xls."),
        (EMPTY, "Tệp trống, không có dữ liệu."),
        (NO_HEADER, "Không tìm thấy dòng tên cột (như “Họ và tên” hay “Ngày sinh”) trong 15 "
                    "dòng đầu của tệp."),
        (DAMAGED, "Tệp bị hỏng, hoặc không thật sự là loại tệp như tên tệp cho biết. Hãy mở tệp "
                  "bằng Excel và lưu lại dưới dạng .xlsx."),
        (ENCRYPTED, "Tệp được bảo vệ bằng mật khẩu. Hãy mở tệp bằng Excel, gỡ mật khẩu rồi tải "
                    "lên lại."),
        (UNREADABLE_TEXT, "Chữ trong tệp dùng bảng mã không đọc được. Hãy lưu tệp dưới dạng "
                          ".xlsx hoặc CSV UTF-8 rồi tải lên lại."),
    ]
    with app.test_request_context(), force_locale("vi"):
        assert refusal("nhan-khau.ods", b"x") == expected[0][1]
        assert refusal("nhan-khau.csv", b"") == expected[1][1]
        for message, vietnamese in expected:
            assert str(message) == vietnamese


# --- Dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "value, expected",
    [
        (date(1991, 1, 1), date(1991, 1, 1)),
        (datetime(1991, 1, 1, 8, 30), date(1991, 1, 1)),
        (33239, date(1991, 1, 1)),
        (33239.75, date(1991, 1, 1)),
        ("33239", date(1991, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        ("01/01/1991", date(1991, 1, 1)),
        ("1/2/1991", date(1991, 2, 1)),
        ("01-02-1991", date(1991, 2, 1)),
        ("01.02.1991", date(1991, 2, 1)),
        (" 29/02/2000 ", date(2000, 2, 29)),
        ("1991-02-01", date(1991, 2, 1)),
        ("1991-02-01 00:00:00", date(1991, 2, 1)),
        ("01/02/1991 07:45", date(1991, 2, 1)),
        ("31/12/2099", date(2099, 12, 31)),  # the future is the caller's business
        (None, None),
        ("  ", None),
    ],
)
def test_dates_parse(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    "value",
    ["31/02/1990", "29/02/1990", "00/01/1990", "01/13/1990", "1/1/90", "01/01-1990",
     "1990/01/01", "ngày 1 tháng 1", "1990", 1990, 60, 0, -3, "01011990", True, 1.5e12],
)
def test_impossible_or_unclear_dates_are_refused(value):
    with pytest.raises(ValueError):
        parse_date(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1948", ParsedDate(None, 1948)),
        (1948, ParsedDate(None, 1948)),
        (" 1948 ", ParsedDate(None, 1948)),
        ("01/01/1991", ParsedDate(date(1991, 1, 1), 1991)),
        (33239, ParsedDate(date(1991, 1, 1), 1991)),
        ("", None),
    ],
)
def test_a_birth_may_be_only_a_year(value, expected):
    assert parse_birth_date(value) == expected


def test_a_birth_date_that_is_no_date_is_refused():
    with pytest.raises(ValueError):
        parse_birth_date("31/02/1990")


# --- Column guesses ------------------------------------------------------------------------

def test_resident_columns_are_guessed_from_their_headers():
    headers = ["STT", "HỌ VÀ TÊN", "Ngày, tháng, năm sinh", "Năm sinh", "Giới tính", "SĐT",
               "Số CCCD/CMND", "Địa chỉ thường trú", "Nơi ở hiện tại", "Tổ dân phố", "Mã hộ"]
    assert guess_mapping(headers, RESIDENT_FIELDS) == {
        "full_name": 1, "birth_date": 2, "sex": 4, "phone": 5, "id_number": 6, "address": 8,
        "hamlet": 9, "household_code": 10}


def test_a_childs_parent_or_guardian_is_not_taken_for_the_child():
    headers = ["STT", "Họ và tên", "Ngày sinh", "Số điện thoại", "Họ tên người giám hộ",
               "SĐT người giám hộ", "Khu vực"]
    assert guess_mapping(headers, RESIDENT_FIELDS) == {
        "full_name": 1, "birth_date": 2, "phone": 3, "guardian_name": 4, "guardian_phone": 5,
        "hamlet": 6}
    # Without a phone of the child's own, the parent's is still the parent's.
    headers = ["Họ tên", "Năm sinh", "Họ tên cha/mẹ", "SĐT cha/mẹ", "Tổ"]
    assert guess_mapping(headers, RESIDENT_FIELDS) == {
        "full_name": 0, "birth_date": 1, "guardian_name": 2, "guardian_phone": 3, "hamlet": 4}


def test_dose_columns_are_guessed_and_a_vaccine_name_is_not_a_person():
    headers = ["Tên vắc xin", "Họ và tên người được tiêm", "Ngày sinh", "CCCD", "Mũi tiêm",
               "Ngày tiêm", "Cơ sở tiêm chủng", "Điện thoại"]
    assert guess_mapping(headers, DOSE_FIELDS) == {
        "vaccine": 0, "full_name": 1, "birth_date": 2, "id_number": 3, "dose": 4, "date": 5,
        "site": 6, "phone": 7}


def test_unknown_headers_map_to_nothing():
    assert guess_mapping(["Cột 1", "Ghi chú", ""], RESIDENT_FIELDS) == {}


# --- Size ----------------------------------------------------------------------------------
# How fast a 100,000-row file reads is a figure of bench/import_reading.py, never a timed test.
# Here: a file larger than the sample the encoding checks read (spread over the rows) is read
# whole, every row with the line Excel shows.

LARGE = 10_000


def _large_rows():
    return [[n, "Nguyễn Văn Hùng", date(1991, 1, 1), "Nam", f"092091{n:06d}", "Ấp Mỹ Khánh",
             "Số 12, đường 3/2", f"09{n:08d}"] for n in range(LARGE)]


def test_a_large_csv_reads_every_row_with_its_line():
    rows = [HEADERS + ["Địa chỉ", "Số điện thoại"]]
    rows += [[str(n), name, born.strftime("%d/%m/%Y"), *rest]
             for n, name, born, *rest in _large_rows()]
    table = read_table("lon.csv", csv_bytes(rows))
    assert len(table.rows) == LARGE and table.rows[-1].line == LARGE + 1
    assert table.rows[-1].cells[4] == f"092091{LARGE - 1:06d}"


def test_a_large_workbook_reads_every_row_and_its_dates():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Nhân khẩu")
    sheet.append(["DANH SÁCH NHÂN KHẨU"])
    sheet.append(HEADERS + ["Địa chỉ", "Số điện thoại"])
    for row in _large_rows():
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table("lon.xlsx", buffer.getvalue())
    assert len(table.rows) == LARGE and table.rows[-1].line == LARGE + 2
    assert table.rows[-1].cells[2] == date(1991, 1, 1)
    assert table.rows[-1].cells[4] == f"092091{LARGE - 1:06d}"

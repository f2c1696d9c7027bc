"""Names, places and shares the demo draws from: Cần Thơ, Quận Ninh Kiều, people of the Mekong delta."""

from __future__ import annotations

# (name, official code) of the province, and of the district of the 2019 list.
PROVINCE: tuple[str, str] = ("Thành phố Cần Thơ", "92")
DISTRICT: tuple[str, str] = ("Quận Ninh Kiều", "916")

# (name, official code) of the wards of Quận Ninh Kiều before the 2025 reform; the first one
# must stay Phường Cái Khế, the demo accounts are bound to it.
WARDS: list[tuple[str, str]] = [
    ("Phường Cái Khế", "31117"),
    ("Phường An Hòa", "31120"),
    ("Phường Thới Bình", "31123"),
    ("Phường An Nghiệp", "31126"),
    ("Phường An Cư", "31129"),
    ("Phường Tân An", "31135"),
    ("Phường An Phú", "31141"),
    ("Phường Xuân Khánh", "31144"),
    ("Phường Hưng Lợi", "31147"),
    ("Phường An Khánh", "31149"),
    ("Phường An Bình", "31150"),
]

# The wards of Thành phố Cần Thơ under the 2025 two-level list, as the vietnamadminunits package
# names and codes them (tests/test_scheme_2025.py checks them against it): the four that the
# wards of the former Quận Ninh Kiều merged into first, then the city's other wards. The first
# one must stay Phường Cái Khế, the demo accounts are bound to it.
WARDS_2025: list[tuple[str, str]] = [
    ("Phường Cái Khế", "31120"),
    ("Phường Ninh Kiều", "31135"),
    ("Phường Tân An", "31147"),
    ("Phường An Bình", "31150"),
    ("Phường Thới An Đông", "31174"),
    ("Phường Bình Thủy", "31168"),
    ("Phường Long Tuyền", "31183"),
    ("Phường Cái Răng", "31186"),
    ("Phường Hưng Phú", "31201"),
    ("Phường Ô Môn", "31153"),
    ("Phường Thới Long", "31157"),
    ("Phường Phước Thới", "31162"),
    ("Phường Thốt Nốt", "31207"),
    ("Phường Tân Lộc", "31213"),
    ("Phường Trung Nhứt", "31217"),
    ("Phường Thuận Hưng", "31228"),
]
# Past its real wards, the 2025 demo numbers copies with codes after the last commune code of
# the whole country (32248, Cà Mau), so that a copy never takes a real unit's code.
COPY_CODES_2025_FROM = 32251

# Where the doses were given besides the ward's health station: the district's health centre
# under the 2019 list; under 2025, with no district, the city's centre for disease control.
PROVINCE_VACCINATION_CENTRE = "Trung tâm Kiểm soát bệnh tật Thành phố Cần Thơ"

# Family names with their rough share (per cent) in the south of Viet Nam: Huỳnh and Võ are the
# southern forms of Hoàng and Vũ; Thạch, Danh and Kim are Khmer names common in the delta.
FAMILY_NAMES: list[tuple[str, float]] = [
    ("Nguyễn", 38.0), ("Trần", 11.0), ("Lê", 9.5), ("Phạm", 7.0), ("Huỳnh", 3.6),
    ("Hoàng", 1.4), ("Phan", 4.5), ("Võ", 3.0), ("Vũ", 1.0), ("Đặng", 2.0), ("Bùi", 2.0),
    ("Đỗ", 1.4), ("Hồ", 1.3), ("Ngô", 1.3), ("Dương", 1.0), ("Lý", 0.5), ("Trương", 1.2),
    ("Lâm", 1.0), ("Đinh", 0.5), ("Mai", 0.5), ("Tô", 0.4), ("Châu", 0.4), ("Cao", 0.3),
    ("Thái", 0.3), ("Lưu", 0.3), ("Hà", 0.3), ("Quách", 0.2), ("Tạ", 0.2), ("La", 0.2),
    ("Diệp", 0.2), ("Thạch", 0.3), ("Danh", 0.2), ("Kim", 0.1), ("Lương", 0.3), ("Từ", 0.1),
]

# Middle names change with the generations: Văn and Thị for people born before about 1990,
# a wider choice for the younger ones. Weights are relative.
MIDDLE_NAMES = {
    ("male", "older"): [
        ("Văn", 40), ("Hữu", 8), ("Đức", 5), ("Minh", 8), ("Quốc", 6), ("Thanh", 8),
        ("Công", 5), ("Hoàng", 4), ("Ngọc", 4), ("Tấn", 5), ("Thành", 3), ("Chí", 3),
        ("Phước", 2),
    ],
    ("male", "younger"): [
        ("Minh", 15), ("Gia", 12), ("Hoàng", 8), ("Quốc", 8), ("Anh", 6), ("Đức", 6),
        ("Bảo", 8), ("Thanh", 5), ("Nhật", 5), ("Tuấn", 4), ("Văn", 8), ("Hữu", 4),
        ("Trọng", 4), ("Thiên", 3), ("Ngọc", 3),
    ],
    ("female", "older"): [
        ("Thị", 50), ("Ngọc", 10), ("Thu", 6), ("Kim", 7), ("Hồng", 5), ("Thanh", 5),
        ("Mỹ", 5), ("Bích", 4), ("Thúy", 3), ("Thị Ngọc", 3), ("Thị Thu", 2), ("Thị Kim", 2),
        ("Thị Mỹ", 1),
    ],
    ("female", "younger"): [
        ("Ngọc", 14), ("Thị", 10), ("Bảo", 8), ("Khánh", 8), ("Gia", 6), ("Thảo", 6),
        ("Minh", 6), ("Như", 6), ("Phương", 5), ("Thu", 4), ("Kim", 4), ("Mỹ", 5),
        ("Hồng", 3), ("Thanh", 4), ("Anh", 4), ("Thị Ngọc", 2),
    ],
}

GIVEN_NAMES = {
    ("male", "older"): [
        ("Đức", 6), ("Hùng", 6), ("Dũng", 6), ("Tuấn", 6), ("Minh", 5), ("Nam", 4),
        ("Phúc", 4), ("Khoa", 2), ("Long", 4), ("Hải", 4), ("Sơn", 4), ("Tài", 3),
        ("Thắng", 3), ("Hiếu", 3), ("Lộc", 3), ("Hòa", 3), ("Bình", 3), ("Thành", 4),
        ("Trung", 3), ("Hưng", 3), ("Tâm", 3), ("Tùng", 2), ("Cường", 3), ("Phong", 2),
        ("Thịnh", 2), ("Vinh", 2), ("Quang", 2), ("Nghĩa", 2), ("Tú", 2), ("Hậu", 2),
        ("Tín", 2), ("Nhân", 2), ("Thiện", 2), ("Sang", 2), ("Tiến", 2), ("Toàn", 2),
        ("Lâm", 1), ("Mến", 1), ("Út", 1), ("Bé", 1),
    ],
    ("male", "younger"): [
        ("Huy", 6), ("Khang", 5), ("Khôi", 4), ("Bảo", 5), ("Phát", 4), ("An", 4),
        ("Kiệt", 3), ("Quân", 4), ("Duy", 4), ("Nam", 4), ("Khoa", 4), ("Minh", 4),
        ("Phúc", 4), ("Hiếu", 3), ("Lộc", 3), ("Thịnh", 3), ("Tài", 3), ("Đạt", 4),
        ("Vinh", 2), ("Nhân", 3), ("Hưng", 3), ("Long", 3), ("Trí", 3), ("Tín", 2),
        ("Đức", 3), ("Tuấn", 3), ("Hải", 2), ("Sơn", 2),
    ],
    ("female", "older"): [
        ("Lan", 5), ("Hương", 5), ("Mai", 4), ("Linh", 3), ("Trang", 3), ("Thảo", 3),
        ("Ngân", 3), ("Hoa", 4), ("Yến", 4), ("Nhung", 3), ("Phương", 3), ("Hạnh", 3),
        ("Diệp", 2), ("Thủy", 4), ("Hằng", 3), ("Nga", 3), ("Loan", 3), ("Liên", 3),
        ("Tuyết", 3), ("Hồng", 3), ("Xuân", 2), ("Cúc", 2), ("Hiền", 3), ("Dung", 3),
        ("Oanh", 2), ("Thu", 2), ("Hà", 2), ("Trinh", 2), ("Nguyệt", 2), ("Vân", 2),
        ("Lệ", 2), ("Huệ", 2), ("Phượng", 2), ("Giang", 2), ("Mến", 1), ("Út", 1),
    ],
    ("female", "younger"): [
        ("Vy", 5), ("Anh", 5), ("Ngọc", 4), ("Nhi", 5), ("Hân", 4), ("My", 4),
        ("Trâm", 3), ("Thư", 4), ("Như", 3), ("Tiên", 3), ("Linh", 4), ("Trang", 3),
        ("Thảo", 3), ("Ngân", 3), ("Yến", 2), ("Uyên", 3), ("Quỳnh", 3), ("Hương", 2),
        ("Diệp", 2), ("Phương", 2), ("Mai", 2), ("Hạnh", 2), ("Lan", 2),
    ],
}

# Streets of Quận Ninh Kiều, for household addresses.
STREETS: list[str] = [
    "Trần Hưng Đạo", "Nguyễn Văn Cừ", "30 Tháng 4", "Mậu Thân", "Nguyễn Trãi", "Hai Bà Trưng",
    "Lý Tự Trọng", "Hòa Bình", "Trần Phú", "Cách Mạng Tháng 8", "Nguyễn Văn Linh", "3 Tháng 2",
    "Lê Lợi", "Phan Đình Phùng", "Xô Viết Nghệ Tĩnh", "Võ Văn Tần", "Nguyễn An Ninh",
    "Ngô Quyền", "Điện Biên Phủ", "Huỳnh Thúc Kháng", "Trần Văn Khéo", "Lê Lai",
    "Trần Quang Khải", "Trương Định", "Mạc Thiên Tích", "Nguyễn Việt Hồng", "Lý Thường Kiệt",
    "Hùng Vương", "Trần Bình Trọng", "Phạm Ngũ Lão", "Nguyễn Thị Minh Khai", "Đề Thám",
    "Lê Hồng Phong", "Võ Trường Toản", "Trần Khánh Dư", "Nguyễn Đình Chiểu", "Châu Văn Liêm",
    "Tầm Vu", "Trần Ngọc Quế", "Quang Trung", "Đồng Khởi", "Lê Bình", "Ba Cu", "Hồ Tùng Mậu",
]

# Province codes of birth in the CCCD number: mostly Cần Thơ, then neighbours and the big cities.
BIRTH_PROVINCES: list[tuple[str, float]] = [
    ("092", 80.0), ("093", 3.0), ("094", 2.5), ("086", 2.5), ("089", 2.0), ("087", 1.5),
    ("091", 1.5), ("096", 1.0), ("095", 1.0), ("079", 2.5), ("001", 1.5), ("048", 0.5),
    ("075", 0.5),
]

# Mobile prefixes of Viettel (32-39, 86, 96-98), MobiFone (70, 76-79, 90, 93),
# VinaPhone (81-85, 88, 91, 94) in use in 2022.
MOBILE_PREFIXES: list[str] = [
    "32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79",
    "81", "82", "83", "84", "85", "86", "88", "90", "91", "93", "94", "96", "97", "98",
]

# Share (per cent) of the population in each five-year age band, Viet Nam around 2022.
AGE_BANDS: list[tuple[int, float]] = [
    (0, 7.3), (5, 8.0), (10, 7.6), (15, 6.9), (20, 6.9), (25, 7.3), (30, 8.0), (35, 8.0),
    (40, 7.4), (45, 6.9), (50, 6.2), (55, 5.5), (60, 4.6), (65, 3.5), (70, 2.3), (75, 1.4),
    (80, 0.9), (85, 0.55), (90, 0.25), (95, 0.08), (100, 0.02),
]

# Household sizes 1 to 6: mean about 3.7 people.
HOUSEHOLD_SIZES: list[tuple[int, float]] = [(1, 7), (2, 14), (3, 21), (4, 28), (5, 18), (6, 12)]

# Vaccine products and their shares in the delta in 2021-2022.
PRIMARY_VACCINES: list[tuple[str, float]] = [
    ("AstraZeneca", 40), ("Pfizer-BioNTech", 22), ("Vero Cell", 22), ("Moderna", 10),
    ("Sputnik V", 4), ("Abdala", 2),
]
BOOSTER_VACCINES: list[tuple[str, float]] = [
    ("Pfizer-BioNTech", 50), ("Moderna", 30), ("AstraZeneca", 20),
]
TEEN_VACCINES: list[tuple[str, float]] = [("Pfizer-BioNTech", 85), ("Moderna", 15)]
CHILD_VACCINES: list[tuple[str, float]] = [("Pfizer-BioNTech", 70), ("Moderna", 30)]

# The demo accounts: user name, role, where they work, full name. Where: "ward", the first
# ward; "reviewing", the unit the wards answer to (the district under the 2019 list; under 2025,
# which has none, the province, whose health department then reviews the wards' lists);
# "province".
ACCOUNTS: list[tuple[str, str, str, str]] = [
    ("screener", "screener", "ward", "Trần Thị Ngọc Hân"),
    ("commune_lead", "commune_lead", "ward", "Lê Văn Thành"),
    ("district_officer", "district_officer", "reviewing", "Phạm Minh Tuấn"),
    ("clerk", "clerk", "reviewing", "Huỳnh Thị Kim Ngân"),
    ("admin", "admin", "province", "Võ Quốc Bảo"),
]

# Who signs the first ward's list of the closed campaign: a vice-chair of the ward's committee.
LIST_SIGNER: tuple[str, str] = ("KT. Chủ tịch", "Nguyễn Thanh Hải")

# What a visit records, by outcome: (refusal reason, note) for refusals...
REFUSALS: list[tuple[str, str, float]] = [
    ("side_effects", "Sợ tác dụng phụ", 40),
    ("side_effects", "Lần trước tiêm bị sốt cao, sợ tiêm tiếp", 10),
    ("other_vaccine", "Chờ tiêm vắc xin Pfizer", 12),
    ("family", "Gia đình không đồng ý", 12),
    ("religious", "Lý do tôn giáo", 4),
    ("other", "Cho rằng đã tiêm 2 mũi là đủ", 14),
    ("other", "Bận đi làm, không có thời gian", 8),
]

# ...(screening category, reason, days of deferral or None, only for pregnant women) for
# contraindications, following the Ministry of Health screening guidance.
SCREENINGS: list[tuple[str, str, tuple[int, int] | None, bool, float]] = [
    ("deferral", "Mắc COVID-19 trong 3 tháng gần đây", (20, 90), False, 30),
    ("deferral", "Đang sốt, mắc bệnh cấp tính", (7, 21), False, 10),
    ("deferral", "Phụ nữ mang thai 3 tháng đầu", (30, 90), True, 8),
    ("caution", "Đang điều trị ung thư", None, False, 10),
    ("caution", "Bệnh nền chưa ổn định (tăng huyết áp, đái tháo đường)", None, False, 14),
    ("caution", "Tiền sử dị ứng nặng với thuốc, thức ăn", None, False, 8),
    ("contraindication", "Tiền sử phản vệ độ 3 với vắc xin phòng COVID-19 lần trước", None,
     False, 12),
    ("contraindication", "Quá mẫn với thành phần của vắc xin", None, False, 8),
]

ABSENT_NOTES: list[str] = [
    "Vắng nhà, hẹn quay lại buổi tối",
    "Đi làm ăn xa, người nhà cho biết cuối tháng về",
    "Đi làm ca, không gặp",
    "Về quê thăm gia đình",
]
WILLING_NOTES: list[str | None] = [
    "Hẹn tiêm tại Trạm Y tế phường",
    "Đồng ý tiêm, hẹn cuối tuần",
    None,
]
HOMEBOUND_NOTES: list[str] = [
    "Nằm liệt giường, cần đội tiêm lưu động",
    "Tai biến, đi lại khó khăn",
    "Người cao tuổi, không tự đến điểm tiêm được",
]
HOSPITALISED_NOTES: list[str] = [
    "Đang điều trị tại Bệnh viện Đa khoa Trung ương Cần Thơ",
    "Đang điều trị COVID-19 tại nhà, hẹn quay lại sau khi khỏi",
    "Nằm viện, hẹn quay lại sau khi xuất viện",
]

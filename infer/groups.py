"""Armed groups that operated overwhelmingly in one country: their names as country evidence.

A text that names only "the FARC" or "Boko Haram" still says where it happened. Each row is
(ISO alpha-2 code, names and aliases). Groups active in many countries (al-Qaeda, ISIS as a
whole, Hezbollah, the LRA, AQIM, JNIM, Hamas: Israel or Palestine) are left out. Names of at
most three capitalised words, since the place matcher reads spans of that length. Acronyms
(one word with an inner capital: "ETA", "LeJ") match only as written ("eta" in Spanish text
is not ETA); other names match like places (case-insensitive keys).
"""

from __future__ import annotations

GROUP_ROWS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # South America
    ("CO", ("FARC", "FARC-EP", "ELN", "M-19", "Clan del Golfo", "Urabeños")),
    ("PE", ("Shining Path", "Sendero Luminoso", "MRTA")),
    ("CL", ("FPMR",)),
    ("AR", ("Montoneros",)),
    ("UY", ("Tupamaros",)),
    # Central America & Caribbean
    ("MX", ("EZLN", "Zapatistas", "Los Zetas", "Zetas", "CJNG", "Gulf Cartel")),
    ("SV", ("FMLN",)),
    ("GT", ("URNG",)),
    ("NI", ("FSLN", "Sandinistas")),
    ("PR", ("Macheteros",)),
    # North America
    # why: the Klan's violence was in the United States; "Klan" alone is its usual short name
    ("US", ("Ku Klux Klan", "Klan", "Weather Underground")),
    # Western Europe
    ("ES", ("ETA", "Euskadi Ta Askatasuna", "GRAPO")),
    # why: the IRAs and loyalist groups fought over Northern Ireland, coded United Kingdom
    (
        "GB",
        (
            "IRA",
            "Provisional IRA",
            "Real IRA",
            "Continuity IRA",
            "New IRA",
            "Irish Republican Army",
            "INLA",
            "UVF",
            "Ulster Volunteer Force",
            "Ulster Defence Association",
            "Ulster Freedom Fighters",
        ),
    ),
    ("FR", ("FLNC", "Action Directe")),
    ("IT", ("Red Brigades", "Brigate Rosse")),
    ("DE", ("Red Army Faction", "Baader-Meinhof")),
    ("GR", ("Conspiracy of Fire Nuclei", "Sect of Revolutionaries")),
    ("CY", ("EOKA",)),
    # Eastern Europe
    ("XK", ("KLA", "UCK")),
    ("RU", ("Caucasus Emirate", "Imarat Kavkaz")),
    # Middle East & North Africa
    ("TR", ("PKK", "Kurdistan Workers Party", "Kurdistan Freedom Falcons", "DHKP-C")),
    (
        "IQ",
        (
            "Mahdi Army",
            "Jaysh al-Mahdi",
            "Kata'ib Hezbollah",
            "Kataib Hezbollah",
            "Asa'ib Ahl al-Haq",
            "Ansar al-Islam",
            "AQI",
            "Peshmerga",
        ),
    ),
    # why: al-Nusra, HTS, Ahrar al-Sham and the YPG fought in Syria (the YPG's Turkish
    # attacks are few next to its Syrian war)
    (
        "SY",
        (
            "Jabhat al-Nusra",
            "Nusra Front",
            "al-Nusra",
            "Hayat Tahrir al-Sham",
            "HTS",
            "Ahrar al-Sham",
            "Jaysh al-Islam",
            "Jaish al-Islam",
            "YPG",
        ),
    ),
    # why: AQAP's attacks are overwhelmingly in Yemen
    ("YE", ("Houthis", "Houthi", "Ansar Allah", "Ansarallah", "AQAP")),
    ("DZ", ("GSPC", "Armed Islamic Group")),
    (
        "EG",
        (
            "Ansar Bait al-Maqdis",
            "Ansar Beit al-Maqdis",
            "Wilayat Sinai",
            "Gama'a al-Islamiyya",
            "Hasm Movement",
        ),
    ),
    ("LB", ("Fatah al-Islam",)),
    # why: Jundallah and Jaish al-Adl attack in Iranian Baluchistan; the MEK's attacks were
    # in Iran
    ("IR", ("Jundallah", "Jaish al-Adl", "PJAK", "MEK", "MKO", "Mujahedin-e Khalq")),
    ("TN", ("Okba Ibn Nafaa",)),
    # South Asia
    # why: the Taliban (without "Pakistani"/"Tehrik") fought in Afghanistan; ISKP's attacks
    # are mostly Afghan
    (
        "AF",
        (
            "Taliban",
            "Afghan Taliban",
            "Haqqani Network",
            "Hezb-e-Islami",
            "Hizb-i-Islami",
            "ISKP",
            "ISIS-K",
        ),
    ),
    (
        "PK",
        (
            "TTP",
            "Tehrik-i-Taliban",
            "Tehreek-e-Taliban",
            "Pakistani Taliban",
            "Lashkar-e-Jhangvi",
            "LeJ",
            "Sipah-e-Sahaba",
            "Jamaat-ul-Ahrar",
            "Balochistan Liberation Army",
            "Baloch Liberation Army",
            "Balochistan Liberation Front",
            "Baloch Liberation Front",
        ),
    ),
    # why: Hizbul Mujahideen and Jaish-e-Mohammed attack in Indian Kashmir (Lashkar-e-Taiba,
    # with large attacks on both sides, is left out)
    (
        "IN",
        (
            "Hizbul Mujahideen",
            "Jaish-e-Mohammed",
            "Jaish-e-Muhammad",
            "JeM",
            "ULFA",
            "NSCN",
            "NDFB",
            "Naxalites",
            "Naxalite",
            "Naxals",
            "Naxal",
            "Babbar Khalsa",
        ),
    ),
    ("BD", ("Jamaat-ul-Mujahideen", "Ansarullah Bangla Team")),
    ("LK", ("LTTE", "Tamil Tigers", "Liberation Tigers", "JVP")),
    # Southeast Asia
    ("PH", ("Abu Sayyaf", "NPA", "New People's Army", "MILF", "MNLF", "BIFF", "Maute")),
    # why: Jemaah Islamiyah also planned abroad, but its attacks were in Indonesia
    ("ID", ("Jemaah Islamiyah", "Jamaah Ansharut Daulah")),
    ("TH", ("Barisan Revolusi Nasional", "PULO")),
    ("MM", ("Arakan Army", "TNLA", "KNU", "Karen National Union", "Kachin Independence Army")),
    # East Asia
    ("JP", ("Aum Shinrikyo",)),
    # Sub-Saharan Africa
    # why: ISWAP (Islamic State West Africa Province) attacks mostly in Nigeria's north-east
    ("NG", ("Boko Haram", "Ansaru", "MEND", "Niger Delta Avengers", "ISWAP")),
    # why: al-Shabaab also strikes Kenya and a Mozambican group shares the name, but its
    # attacks are overwhelmingly Somali ("Shabaab" is also an Iranian village: the group wins)
    ("SO", ("al-Shabaab", "Al-Shabaab", "Shabaab", "al-Shabab", "Hizbul Islam")),
    ("ML", ("Ansar Dine", "MNLA", "Macina Liberation Front")),
    ("BF", ("Ansarul Islam",)),
    ("CF", ("Seleka", "Anti-balaka", "Anti-Balaka")),
    # why: the FDLR are Rwandan Hutu rebels based in eastern Congo; the ADF came from Uganda
    # but fight in Congo
    ("CD", ("M23", "Mai-Mai", "Mai Mai", "FDLR", "CODECO", "Allied Democratic Forces")),
    ("SD", ("Janjaweed",)),
    ("MZ", ("RENAMO", "Renamo")),
    ("AO", ("UNITA", "FLEC")),
    ("SL", ("RUF", "Revolutionary United Front")),
    ("ET", ("TPLF", "ONLF", "Oromo Liberation Front")),
    ("KE", ("Mungiki",)),
    ("SN", ("MFDC",)),
)


def is_acronym(alias: str) -> bool:
    """Whether an alias matches only as written: one word with a capital after the first letter
    of a hyphenated part ("ETA", "LeJ", "FARC-EP"; not "Al-Shabaab" nor "M23")."""
    return " " not in alias and any(ch.isupper() for part in alias.split("-") for ch in part[1:])


# GeoNames towns whose name a group's name overrides (the group is far more often meant).
OVERRIDDEN_TOWNS: frozenset[str] = frozenset({"Shabaab"})

# Armed groups active in several countries: their names say no country, and GeoNames towns of
# the same name ("Hamas", a German village; "Fatah", a Pakistani one) must not speak for one.
# RAND's Palestinian records named "Hamas" 134 times in the misses of a gazetteer without this.
MULTI_COUNTRY_GROUPS: tuple[str, ...] = (
    "Hamas",
    "Fatah",
    "Hezbollah",
    "Hizbollah",
    "Hizballah",
    "Hizbullah",
    "Al-Qaeda",
    "Al-Qaida",
    "Qaeda",
    "Qaida",
    "ISIS",
    "ISIL",
    "Daesh",
    "Daish",
    "AQIM",
    "JNIM",
    "LRA",
    "PFLP",
    "DFLP",
    "ASALA",
    "Tanzim",
    "Lashkar-e-Taiba",
    "Lashkar-e-Toiba",
    "Jundullah",
)

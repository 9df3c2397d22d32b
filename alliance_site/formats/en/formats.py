"""English date formats for a clinic anywhere: day, month name, year; 24-hour time.

Django's own English formats are American (12/03/2026, 3 p.m.), which readers outside
the United States misread; a month name is unambiguous everywhere.
"""

DATE_FORMAT = "j F Y"
SHORT_DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j F Y, H:i"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday

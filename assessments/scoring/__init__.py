"""Instrument definitions and the scoring rule: plain Python and pandas, no Django.

`registry` loads and checks the form files in `instruments/`, `sheet` scores one answer
sheet, `frame` scores a whole table at once with the same figures.
"""

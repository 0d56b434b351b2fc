"""Spreadsheet files: reading .xlsx/.xls/.csv/.tsv into table rows, writing exports and templates."""

"""Paper out: form definitions (`spec`), the sheets drawn from them (`generate`) and their ids (`sheetid`)."""

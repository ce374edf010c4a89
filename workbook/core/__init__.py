"""The pure core: the standard as data, the scoring engine and the workbook contract.

Nothing here reads or writes files other than the standard's own TOML; every module takes
plain values (``Decimal``, ``str``, ``None``) and returns results or problems.
"""

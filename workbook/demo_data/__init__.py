"""Files the demo ships: last year's consolidation JSON (2025), a rename map and a holiday list.

``previous_2025.json`` is what ``consolidate --json`` wrote for 2025's sample branches; in 2026
城区分会支部 is called 昌硕分会支部 (``renames.csv``), 晓墅分会支部 is gone and 天子湖分会支部 is new.
tests/test_demo.py checks that every number in it is what the engine gives for its deductions.
"""

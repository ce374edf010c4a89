"""The Excel plug-in: xlwings UDFs, the ribbon's ``main()`` and the add-in. Only place that imports xlwings."""

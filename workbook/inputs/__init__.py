"""Reading filled workbooks: the branch list, the config, the contract checks, consolidation."""

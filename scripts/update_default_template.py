"""Regenerate templates/assessment_template.xlsx after a deliberate template change.

    .venv/bin/python scripts/update_default_template.py

tests/test_default_template.py fails while the committed file differs from what the code writes.
"""

from workbook.outputs.demo import default_template_options
from workbook.outputs.template import DEFAULT_TEMPLATE, write_template

if __name__ == "__main__":
    print(write_template(DEFAULT_TEMPLATE, default_template_options()))

"""Test helpers shared by the test modules (import as ``from support.x import ...``).

Test modules never import each other: what two of them share lives here, or as data under
``tests/data``.
"""

"""Reporting: the results type, text tables, charts by topic and the HTML report."""

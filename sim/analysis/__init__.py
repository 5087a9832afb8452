"""Analysis on data frames: KPIs, cohort retention, paired statistics (usable on your own data)."""

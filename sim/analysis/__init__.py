"""Analysis on data frames: KPIs, cohort retention, group lifetimes, paired statistics (usable on your own data)."""

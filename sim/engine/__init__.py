"""The engine: members as arrays, groups, the day, member rules, arrivals, recorder and the model."""

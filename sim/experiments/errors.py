"""The one error users see for bad input: one line naming the file, line and field."""


class InputError(Exception):
    """Bad user input (scenario, experiment, command line). The CLI exits 2 on it."""

    def __init__(self, source: str, field: str, message: str, line: int | None = None):
        self.source, self.field, self.message, self.line = source, field, message, line
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")

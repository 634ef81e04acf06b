"""pytest configuration shared by the unit tests and nbval."""


def pytest_collectstart(collector):
    """Never compare stderr in notebooks: warnings and progress bars differ between machines."""
    if collector.path is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr",)

"""The environment self-check of notebook 00."""

from packaging.requirements import Requirement

from helpers.environment import check_environment, check_package, required_packages


def test_required_packages_come_from_the_project_metadata():
    names = {r.name for r in required_packages()}
    assert {"torch", "pyro-ppl", "numpy", "jupyterlab", "nbval"} <= names


def test_check_environment_passes_in_the_project_environment(capsys):
    checks = check_environment()
    assert all(c.ok for c in checks), [c.message for c in checks if not c.ok]
    assert "Ready to go" in capsys.readouterr().out


def test_a_missing_package_fails_with_what_to_do():
    check = check_package(Requirement("surely-not-installed-package==1.0"))
    assert not check.ok and check.installed is None
    assert "FAIL" in check.message and "missing" in check.message and "make lab" in check.message


def test_a_wrong_version_fails_and_names_both_versions():
    check = check_package(Requirement("pytest==0.0.1"))
    assert not check.ok
    assert (
        "FAIL" in check.message and "==0.0.1" in check.message and check.installed in check.message
    )


def test_local_build_tags_are_accepted():
    assert check_package(Requirement("torch==2.13.0")).ok


def test_check_environment_summarises_failures(capsys):
    checks = check_environment([Requirement("surely-not-installed-package")])
    out = capsys.readouterr().out
    assert not checks[-1].ok
    assert "Fix these first: surely-not-installed-package" in out

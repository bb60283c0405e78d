"""Meta: the public surface, docstrings and the standard-library promise."""

import ast
import inspect
import subprocess
import sys

import ossign
from test_ossign import HERE, _hermetic_environment  # noqa: F401

#: API.md's public names, plus the ones the issues added (ProcessCredentialProvider,
#: object_url) and the CLI entry point.
_META_PUBLIC = {
    "OssignError", "CredentialError", "SigningError", "Credentials", "Context", "StaticCredentialProvider",
    "EnvCredentialProvider", "OssProfileCredentialProvider", "CredentialsFileCredentialProvider",
    "ConfigFileCredentialProvider", "CredentialsUriCredentialProvider", "EcsRamRoleCredentialProvider",
    "AssumeRoleCredentialProvider", "AssumeRoleWithOidcCredentialProvider", "ProcessCredentialProvider",
    "ChainCredentialProvider", "DefaultCredentialProvider", "CredentialCache", "Signer", "SignedRequest",
    "SigningHandler", "object_url", "main",
}


class TestMetaPublicSurface:
    def test_all_lists_exactly_the_public_names(self):
        assert set(ossign.__all__) == _META_PUBLIC
        assert len(ossign.__all__) == len(set(ossign.__all__))

    def test_star_import_exports_nothing_else(self):
        namespace = {}
        exec("from ossign import *", namespace)
        assert set(namespace) - {"__builtins__"} == _META_PUBLIC

    def test_every_public_name_and_method_has_a_docstring(self):
        missing = []
        for name in ossign.__all__:
            obj = getattr(ossign, name)
            if not (obj.__doc__ or "").strip():
                missing.append(name)
            if inspect.isclass(obj) and obj.__module__ == "ossign":
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not callable(member):
                        continue
                    if not (member.__doc__ or "").strip():
                        missing.append("%s.%s" % (name, attr))
        assert missing == []

    def test_errors_are_the_documented_hierarchy(self):
        assert issubclass(ossign.CredentialError, ossign.OssignError)
        assert issubclass(ossign.SigningError, ossign.OssignError)
        assert issubclass(ossign.SigningError, ValueError)

    def test_signing_handler_is_a_urllib_handler_built_on_first_use(self):
        import urllib.request

        assert issubclass(ossign.SigningHandler, urllib.request.BaseHandler)
        assert ossign.SigningHandler is ossign.SigningHandler


class TestMetaStandardLibraryOnly:
    def test_module_imports_only_the_standard_library(self):
        tree = ast.parse((HERE / "ossign.py").read_text(encoding="utf-8"))
        names = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
        names -= {"__future__"}
        stdlib = getattr(sys, "stdlib_module_names", None)
        if stdlib is None:  # Python 3.9: ask the interpreter where each module lives
            stdlib = {n for n in names if subprocess.run(
                [sys.executable, "-S", "-c", "import %s" % n], capture_output=True).returncode == 0}
        assert sorted(names - set(stdlib)) == []

    def test_version_is_in_setup_cfg_metadata(self):
        setup = (HERE / "setup.cfg").read_text(encoding="utf-8")
        assert "version = attr: ossign.__version__" in setup
        assert ossign.__version__.count(".") == 2

"""An import-linter contract type: modules that may import only the standard library.

import-linter's own ``forbidden`` contract is a deny-list; the core must stay neutral against
imports nobody thought to list, so this one allows the standard library and named packages.
"""

from __future__ import annotations

import sys

import grimp
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


class StdlibOnlyContract(Contract):
    """``source_modules`` import only the standard library, themselves and ``allowed_modules``."""

    type_name = "stdlib_only"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        sources = [m.name for m in self.source_modules]  # type: ignore[attr-defined]
        allowed = [m.name for m in (self.allowed_modules or [])]  # type: ignore[attr-defined]
        bad: list[tuple[str, str]] = []
        for source in sources:
            for importer in sorted({source} | graph.find_descendants(source)):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if imported.split(".")[0] in sys.stdlib_module_names:
                        continue
                    if any(imported == a or imported.startswith(a + ".")
                           for a in (*sources, *allowed)):
                        continue
                    bad.append((importer, imported))
        return ContractCheck(kept=not bad, metadata={"bad": bad})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported in check.metadata["bad"]:
            output.print_error(f"{importer} imports {imported}, which is not in the allow-list")
            output.new_line()

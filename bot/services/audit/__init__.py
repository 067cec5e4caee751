"""The admin audit log: what every admin command did, where and by whom.

The dispatcher writes it (through the interaction log, at once, never batched); this
feature reads it back for ``/audit`` and for the ``/mydata`` of the admin who acted.
Imports ``bot.core`` and ``storage`` only.
"""

from bot.services.audit.service import AuditData, AuditEntry, AuditService

__all__ = ["AuditData", "AuditEntry", "AuditService"]

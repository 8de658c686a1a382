"""The simulator's error tree: each error carries a Cloudflare-style code and an HTTP status.

    AcnsError                      (400, base; never 409: the SDK retries 409, spec-acns §4.1)
    ├── InvalidInput               (1000) a value is malformed; the message names it
    │   ├── InvalidName            (1006) a nameserver or zone name is not a valid host name
    │   └── InvalidNsSet           (1005) ns_set outside 1..5
    ├── NotEntitled                (1002, 403) the account lacks the ACNS entitlement
    ├── SetNotFound                (1001) the set does not exist or has fewer than 2 names
    ├── NameserverExists           (1003) the name is already in one of the account's sets
    ├── SetFull                    (1004) the set already holds 5 names
    ├── HierarchyConflict          (1007) a parent or child zone uses the same set
    ├── Unsupported                (1008) a nameserver type the simulator does not offer
    ├── ReadOnlyRecord             (1009) a record Cloudflare manages (ACNS A/AAAA) was touched
    ├── NotFullSetup               (1010) custom nameservers on a partial (CNAME) zone
    ├── PlanRequired               (1011) zone custom nameservers on a plan the world excludes
    ├── NotFound                   (404)  the thing does not exist (or is not yours)
    │   └── RouteNotFound          (7003) no route for the URI
    ├── Forbidden                  (403)  the credentials may not touch this account
    ├── Unauthenticated            (401)  no usable credentials
    ├── RegistrarRefused           (1100) the registrar will not make this change
    │   ├── NeedsSupportTicket     (1101) Cloudflare Registrar: only Support changes NS/glue
    │   └── NotSponsor             (1102) glue under a domain the registrar does not sponsor
    ├── TicketState                (1103) the ticket is already resolved
    ├── ScenarioError              (1200) a scenario file is wrong; names file and field
    ├── SnapshotError              (1201) a snapshot file is damaged or foreign
    └── NotDurable                 (1202, 503) the change could not be written to the state
                                          on disk, so it was not made

Codes 1001, 1002 and 7003 are Cloudflare's own (spec-acns §3.12); the others are invented
(spec-acns §6.3) and stable.
"""

from __future__ import annotations

from typing import ClassVar


class AcnsError(Exception):
    """Base class: an operation was refused and changed nothing."""

    code: ClassVar[int] = 1000
    http_status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def as_error(self) -> dict[str, object]:
        """The ``errors[]`` item of the Cloudflare v4 envelope."""
        return {"code": self.code, "message": self.message}


class InvalidInput(AcnsError):
    """A value is malformed; the message names the field and the value."""


class InvalidName(InvalidInput):
    """A nameserver or zone name is not a valid host name (spec-acns §6.4)."""

    code = 1006


class InvalidNsSet(InvalidInput):
    """``ns_set`` is outside 1..5 (spec-acns §1.1)."""

    code = 1005


class NotEntitled(AcnsError):
    """The account has no ACNS entitlement (spec-acns §3.12)."""

    code = 1002
    http_status = 403


class SetNotFound(AcnsError):
    """Enabling a set that does not exist or has fewer than two names (spec-acns §3.8)."""

    code = 1001


class NameserverExists(AcnsError):
    """The name is already in one of the account's sets (spec-acns §1.1.3, §6.2)."""

    code = 1003


class SetFull(AcnsError):
    """The set already holds five names (spec-acns §1.1.2)."""

    code = 1004


class HierarchyConflict(AcnsError):
    """A parent or child zone already uses the same set (spec-acns §1.1.4, §6.12)."""

    code = 1007


class Unsupported(AcnsError):
    """A nameserver type the simulator does not offer (spec-acns §6.18)."""

    code = 1008


class ReadOnlyRecord(AcnsError):
    """A record Cloudflare creates for a custom nameserver name was edited or deleted (§1.4)."""

    code = 1009


class NotFullSetup(AcnsError):
    """Custom nameservers of any kind need a full setup; a partial zone cannot use them (§1.3)."""

    code = 1010


class PlanRequired(AcnsError):
    """Zone custom nameservers need a Business or Enterprise plan (spec-acns §1.3, §1.5)."""

    code = 1011


class NotFound(AcnsError):
    """The object does not exist, or belongs to an account the caller may not see."""

    code = 1404
    http_status = 404


class RouteNotFound(NotFound):
    """No route for the URI (Cloudflare code 7003)."""

    code = 7003


class Forbidden(AcnsError):
    """The credentials are valid but not for this account."""

    code = 9109
    http_status = 403


class Unauthenticated(AcnsError):
    """No usable credentials were sent."""

    code = 10000
    http_status = 401


class RegistrarRefused(AcnsError):
    """The registrar will not make this change."""

    code = 1100


class NeedsSupportTicket(RegistrarRefused):
    """Cloudflare Registrar domains change NS and glue only through a Support ticket."""

    code = 1101


class NotSponsor(RegistrarRefused):
    """Only the sponsoring registrar of a domain may create host objects (glue) under it."""

    code = 1102


class TicketState(AcnsError):
    """The support ticket is not open."""

    code = 1103


class ScenarioError(AcnsError):
    """A scenario file is wrong; the message names the file and the field path."""

    code = 1200


class SnapshotError(AcnsError):
    """A snapshot file is damaged, truncated or not a snapshot of this simulator."""

    code = 1201


class NotDurable(AcnsError):
    """A change could not be made durable (``serve --state``), so it was refused: nothing
    changed in memory, in DNS or on disk. 503: the state on disk may come back; retrying is safe."""

    code = 1202
    http_status = 503

"""SQLAlchemy models, one module per aggregate; importing this registers them all."""

from .audit import AuditEvent
from .base import Base, UTCDateTime, utcnow
from .genotyping import (
    ClassificationJob,
    EligibilityAssessment,
    GateDecision,
    GenotypingAnalysis,
    GenotypingFile,
    GenotypingInput,
    GenotypingReport,
    GenotypingVariant,
    ReportVersion,
    ReReview,
    VariantOverride,
)
from .idempotency import IdempotencyRecord
from .participant import SCREENING_STATUSES, Participant
from .shipment import SHIPMENT_STATUSES, Shipment, ShipmentItem, ShipmentReceipt
from .site import SITE_KINDS, Site
from .specimen import SPECIMEN_STATUSES, IdCounter, Specimen, SpecimenEvent
from .storage import StorageBox, StorageLocation, StoragePosition, StorageScanHold
from .trial import ExpectedSpecimen, Trial, VisitDefinition
from .user import ROLES, ApiToken, AuthThrottle, User, UserSession

__all__ = [
    "ROLES",
    "SCREENING_STATUSES",
    "SHIPMENT_STATUSES",
    "SITE_KINDS",
    "SPECIMEN_STATUSES",
    "ApiToken",
    "AuditEvent",
    "AuthThrottle",
    "Base",
    "ClassificationJob",
    "EligibilityAssessment",
    "ExpectedSpecimen",
    "GateDecision",
    "GenotypingAnalysis",
    "GenotypingFile",
    "GenotypingInput",
    "GenotypingReport",
    "GenotypingVariant",
    "IdCounter",
    "IdempotencyRecord",
    "Participant",
    "ReReview",
    "ReportVersion",
    "Shipment",
    "ShipmentItem",
    "ShipmentReceipt",
    "Site",
    "Specimen",
    "SpecimenEvent",
    "StorageBox",
    "StorageLocation",
    "StoragePosition",
    "StorageScanHold",
    "Trial",
    "UTCDateTime",
    "User",
    "UserSession",
    "VariantOverride",
    "VisitDefinition",
    "utcnow",
]

"""KPI trees (KGI -> KSF -> KPI): status against targets, identity checks, driver analysis, alerts, report.

Pure arithmetic lives in status.py (pace, forecast, thresholds), expr.py (identities), shapley.py (driver
attribution); I/O in compute.py (batched queries), check.py, explain.py, alerts.py and report.py.
"""

from .check import check_identities
from .compute import StatusReport, compute_status
from .explain import explain

__all__ = ["StatusReport", "check_identities", "compute_status", "explain"]

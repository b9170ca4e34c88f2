"""Account policy: argon2 password hashes, lockout after repeated failures, idle session
timeout, password change, and the audit entries all of these leave.

Contract: ``AccountService`` is the only code that checks a password or opens a session.
Failures never reveal whether a username exists. Every decision is audited.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from analytics import accounts as store
from analytics import audit
from analytics.accounts import ScopeEntry, UserRecord
from analytics.warehouse import Warehouse
from dashboard.auth.permissions import Permission, Role, allowed

log = logging.getLogger(__name__)

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")


class AccountError(ValueError):
    """A request about accounts was refused; the message is safe to show the user."""


@dataclass(frozen=True, kw_only=True, slots=True)
class SecurityPolicy:
    idle_minutes: int = 30
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    max_failed_per_ip: int = 30
    password_min_length: int = 10
    argon2_time_cost: int = 3  # argon2id parameters (RFC 9106 second recommendation)
    argon2_memory_kib: int = 65536


@dataclass(frozen=True, kw_only=True, slots=True)
class CurrentUser:
    """The signed-in user of one request, with the cameras their scope allows."""

    username: str
    full_name: str
    role: Role
    session_id: str
    camera_ids: frozenset[str] | None  # None = every camera

    def can(self, permission: Permission) -> bool:
        return allowed(self.role, permission)

    def sees_camera(self, camera_id: str) -> bool:
        return self.camera_ids is None or camera_id in self.camera_ids


@dataclass(frozen=True, kw_only=True, slots=True)
class LoginResult:
    user: CurrentUser | None
    message_key: str  # i18n key explaining a refusal ("" on success)


class AccountService:
    def __init__(self, warehouse: Warehouse, policy: SecurityPolicy,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.warehouse = warehouse
        self.policy = policy
        self._clock = clock
        self._hasher = PasswordHasher(time_cost=policy.argon2_time_cost, memory_cost=policy.argon2_memory_kib)
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    # --- audit -------------------------------------------------------------------

    def audit(self, actor: str, action: str, target: str = "", client_ip: str = "", **detail: object) -> None:
        audit.append(self.warehouse, audit.AuditEvent(actor=actor, action=action, target=target,
                                                      detail=dict(detail), client_ip=client_ip))

    # --- users -------------------------------------------------------------------

    def has_users(self) -> bool:
        return store.count_users(self.warehouse) > 0

    def check_password_rules(self, password: str) -> None:
        if len(password) < self.policy.password_min_length:
            raise AccountError(f"Mật khẩu phải có ít nhất {self.policy.password_min_length} ký tự.")
        if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
            raise AccountError("Mật khẩu phải có cả chữ và số.")

    def create_user(self, *, username: str, full_name: str, role: Role, password: str,
                    scopes: Iterable[ScopeEntry], actor: str, client_ip: str = "") -> None:
        username = username.strip().lower()
        if not _USERNAME.match(username):
            raise AccountError("Tên đăng nhập gồm 3–32 ký tự a-z, 0-9, dấu chấm, gạch dưới hoặc gạch ngang.")
        if store.get_user(self.warehouse, username) is not None:
            raise AccountError(f"Tài khoản {username} đã tồn tại.")
        scopes = self._checked_scopes(scopes)
        self.check_password_rules(password)
        now = self._clock()
        store.save_user(self.warehouse, UserRecord(
            username=username, full_name=full_name.strip() or username, role=Role(role).value,
            password_hash=self._hasher.hash(password), active=True, password_changed_at=now,
        ), scopes, now=now)
        self.audit(actor, "user_created", username, client_ip, role=Role(role).value,
                   scopes=[f"{s.kind}:{s.scope_id}" for s in scopes])

    def set_active(self, username: str, active: bool, *, actor: str) -> None:
        user = self._existing(username)
        store.save_user(self.warehouse, replace(user, active=active), None, now=self._clock())
        if not active:
            store.end_sessions(self.warehouse, at=self._clock(), reason="disabled", username=username)
        self.audit(actor, "user_enabled" if active else "user_disabled", username)

    def set_role_and_scopes(self, username: str, role: Role, scopes: Iterable[ScopeEntry], *, actor: str) -> None:
        user = self._existing(username)
        scopes = self._checked_scopes(scopes)
        store.save_user(self.warehouse, replace(user, role=Role(role).value), scopes, now=self._clock())
        self.audit(actor, "user_permissions_changed", username, role=Role(role).value,
                   scopes=[f"{s.kind}:{s.scope_id}" for s in scopes])

    def reset_password(self, username: str, new_password: str, *, actor: str) -> None:
        user = self._existing(username)
        self.check_password_rules(new_password)
        now = self._clock()
        store.save_user(self.warehouse, replace(user, password_hash=self._hasher.hash(new_password),
                                                password_changed_at=now), None, now=now)
        store.end_sessions(self.warehouse, at=now, reason="password_reset", username=username)
        self.audit(actor, "password_reset", username)

    def _checked_scopes(self, scopes: Iterable[ScopeEntry]) -> list[ScopeEntry]:
        checked = list(scopes)
        if not checked:
            raise AccountError("Cần ít nhất một phạm vi (toàn bộ, tỉnh, khu vực hoặc nhóm camera).")
        for scope in checked:
            if not store.scope_exists(self.warehouse, scope):
                raise AccountError(f"Phạm vi không tồn tại: {scope.kind} {scope.scope_id}")
        return checked

    def _existing(self, username: str) -> UserRecord:
        user = store.get_user(self.warehouse, username)
        if user is None:
            raise AccountError(f"Không có tài khoản {username}.")
        return user

    # --- sign-in -----------------------------------------------------------------

    def authenticate(self, username: str, password: str, client_ip: str) -> LoginResult:
        """Check the password under the lockout rules; on success open a session."""
        username = username.strip().lower()[:64]
        now = self._clock()
        window = now - timedelta(minutes=self.policy.lockout_minutes)
        if store.recent_failures(self.warehouse, since=window, client_ip=client_ip) >= self.policy.max_failed_per_ip \
                or store.recent_failures(self.warehouse, since=window, username=username) >= self.policy.max_failed_logins:
            self._burn(password)
            store.record_attempt(self.warehouse, username=username, client_ip=client_ip, success=False, at=now)
            self.audit(username or "?", "login_locked", username, client_ip)
            return LoginResult(user=None, message_key="auth.locked")
        user = store.get_user(self.warehouse, username)
        ok = self._verify(user.password_hash if user else self._dummy_hash, password) and user is not None \
            and user.active
        store.record_attempt(self.warehouse, username=username, client_ip=client_ip, success=ok, at=now)
        if not ok or user is None:
            self.audit(username or "?", "login_failed", username, client_ip,
                       reason="inactive" if user is not None and not user.active else "bad_credentials")
            return LoginResult(user=None, message_key="auth.bad_credentials")
        session_id = secrets.token_urlsafe(32)
        store.start_session(self.warehouse, session_id=session_id, username=username, at=now)
        self.audit(username, "login", username, client_ip)
        return LoginResult(user=self._current(user, session_id), message_key="")

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _burn(self, password: str) -> None:
        """Spend the time of one verification so a locked account answers as slowly."""
        self._verify(self._dummy_hash, password)

    def _current(self, user: UserRecord, session_id: str) -> CurrentUser:
        return CurrentUser(username=user.username, full_name=user.full_name, role=Role(user.role),
                           session_id=session_id,
                           camera_ids=store.scope_camera_ids(self.warehouse, user.username))

    def load_session(self, session_id: str, client_ip: str = "") -> tuple[CurrentUser | None, str]:
        """The user of an open session, or (None, reason) where reason is "", "expired" or "ended"."""
        record = store.get_session(self.warehouse, session_id)
        if record is None:
            return None, ""
        if record.ended_at is not None:
            return None, "ended"
        now = self._clock()
        if now - record.last_seen_at > timedelta(minutes=self.policy.idle_minutes):
            store.end_sessions(self.warehouse, at=now, reason="idle_timeout", session_id=session_id)
            self.audit(record.username, "session_expired", record.username, client_ip)
            return None, "expired"
        user = store.get_user(self.warehouse, record.username)
        if user is None or not user.active:
            store.end_sessions(self.warehouse, at=now, reason="disabled", session_id=session_id)
            return None, "ended"
        if now - record.last_seen_at > timedelta(seconds=30):  # bounded write rate per session
            store.touch_session(self.warehouse, session_id, now)
        return self._current(user, session_id), ""

    def logout(self, user: CurrentUser, client_ip: str = "") -> None:
        store.end_sessions(self.warehouse, at=self._clock(), reason="logout", session_id=user.session_id)
        self.audit(user.username, "logout", user.username, client_ip)

    def change_password(self, user: CurrentUser, current: str, new: str, client_ip: str = "") -> None:
        record = self._existing(user.username)
        if not self._verify(record.password_hash, current):
            self.audit(user.username, "password_change_failed", user.username, client_ip)
            raise AccountError("Mật khẩu hiện tại không đúng.")
        if current == new:
            raise AccountError("Mật khẩu mới phải khác mật khẩu hiện tại.")
        self.check_password_rules(new)
        now = self._clock()
        store.save_user(self.warehouse, replace(record, password_hash=self._hasher.hash(new),
                                                password_changed_at=now), None, now=now)
        store.end_sessions(self.warehouse, at=now, reason="password_changed", username=user.username,
                           keep=user.session_id)
        self.audit(user.username, "password_changed", user.username, client_ip)

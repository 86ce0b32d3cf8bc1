"""The demo sales organisation: teams, managers, reps, a director, an admin and their logins.

Users are upserted by username, so seeding twice updates them instead of failing. Hashing a
password costs ~0.3 s (PBKDF2), so every rep shares one hash and every manager another: a demo
with 600 reps is created in a second, and any rep can log in with the rep password."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from crm.models import Role, Team, User

SALES_MANAGERS_GROUP = "Sales managers"

# (name, region label); REGION_TEAMS maps customers.Region positions onto these.
TEAMS = (
    ("华东一组", "East China"),
    ("华东二组", "East China"),
    ("华南组", "South China"),
    ("华北及东北组", "North and Northeast China"),
    ("中西部组", "Central and West China"),
    ("国际业务组", "Overseas"),
)
# Region order of customers.models.Region: east, south, north, central, southwest, northwest,
# northeast, overseas. Two columns so East China is split between two teams.
REGION_TEAMS = np.array([[0, 1], [2, 2], [3, 3], [4, 4], [4, 4], [4, 4], [3, 3], [5, 5]])
# Share of customers each team ends up with (from the region weights), to size the teams.
TEAM_SHARE = np.array([0.17, 0.17, 0.20, 0.17, 0.22, 0.07])


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    description: str


# Demo credentials are public by design: they only exist in a database filled by seed_demo.
DEMO_LOGINS = (
    DemoLogin("admin", "demo_admin", "Harbor-Admin-2026", "administrator: everything, all teams"),
    DemoLogin("director", "demo_director", "Summit-Director-2026", "sales director: every team"),
    DemoLogin("manager", "demo_manager", "Compass-Manager-2026", f"sales manager of {TEAMS[0][0]}"),
    DemoLogin("rep", "demo_rep", "Lantern-Rep-2026", f"sales rep in {TEAMS[0][0]}: own book"),
)
LOGIN = {login.role: login for login in DEMO_LOGINS}


@dataclass
class DemoPeople:
    team_ids: np.ndarray  # Team pk per team position
    reps_by_team: list[np.ndarray]  # rep user pks per team position

    def rep_for_team(self, rng: np.random.Generator, team_pos: np.ndarray) -> np.ndarray:
        owner = np.zeros(len(team_pos), dtype=np.int64)
        for t, reps in enumerate(self.reps_by_team):
            mask = team_pos == t
            owner[mask] = reps[rng.integers(0, len(reps), int(mask.sum()))]
        return owner

    @property
    def rep_count(self) -> int:
        return sum(len(r) for r in self.reps_by_team)


def default_rep_count(customers: int) -> int:
    """About one rep per 500 customers; at least two per team so a manager has a team to
    compare, at most 600 so the user list stays browsable."""
    return int(min(600, max(2 * len(TEAMS), round(customers / 500))))


def _names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    from . import vocab

    last = rng.choice(len(vocab.SURNAMES), n)
    first = rng.choice(len(vocab.GIVEN_NAMES), n)
    return [(vocab.GIVEN_NAMES[f], vocab.SURNAMES[s]) for f, s in zip(first, last, strict=True)]


def _upsert_users(rows: list[dict]) -> dict[str, int]:
    """Create or update users by username in two bulk statements; returns username → pk."""
    existing = {
        u.username: u for u in User.objects.filter(username__in=[r["username"] for r in rows])
    }
    new, changed = [], []
    fields = [k for k in rows[0] if k != "username"]
    for row in rows:
        user = existing.get(row["username"])
        if user is None:
            new.append(User(**row))
        else:
            for key, value in row.items():
                setattr(user, key, value)
            changed.append(user)
    User.objects.bulk_create(new, batch_size=500)
    if changed:
        User.objects.bulk_update(changed, fields, batch_size=500)
    return dict(
        User.objects.filter(username__in=[r["username"] for r in rows]).values_list(
            "username", "pk"
        )
    )


def sales_managers_group_ensure() -> Group:
    """Managers browse and correct customer records in Django admin; what they see there is
    still scoped by customers.access."""
    group, _ = Group.objects.get_or_create(name=SALES_MANAGERS_GROUP)
    perms = Permission.objects.filter(
        content_type__app_label="customers", codename__regex=r"^(view|change)_"
    )
    group.permissions.set(perms)
    return group


# Long on purpose: the demo's teams, managers and reps with their logins, written as one readable
# table.
@transaction.atomic
def demo_people_ensure(*, reps: int, rng: np.random.Generator) -> DemoPeople:
    teams = []
    for name, region in TEAMS:
        team, _ = Team.objects.update_or_create(name=name, defaults={"region": region})
        teams.append(team)
    group = sales_managers_group_ensure()

    # Reps per team in proportion to the team's customers, at least two each.
    per_team = np.maximum(2, np.floor(TEAM_SHARE * reps).astype(int))
    per_team[2] += max(0, reps - int(per_team.sum()))
    hashes = {role: make_password(LOGIN[role].password) for role in ("rep", "manager")}
    names = iter(_names(rng, int(per_team.sum()) + len(TEAMS) + 2))
    base = {"is_active": True, "is_superuser": False, "is_director": False}
    rows: list[dict[str, Any]] = []
    rep_team: list[int] = []
    for t, team in enumerate(teams):
        for _ in range(per_team[t]):
            first, last = next(names)
            number = len(rep_team) + 1
            username = LOGIN["rep"].username if number == 1 else f"rep_{number:04d}"
            rows.append(
                {
                    **base,
                    "username": username,
                    "first_name": first,
                    "last_name": last,
                    "role": Role.REP,
                    "team": team,
                    "is_staff": False,
                    "password": hashes["rep"],
                    "email": f"{username}@demo.invalid",
                }
            )
            rep_team.append(t)
    managers = []
    for t, team in enumerate(teams):
        first, last = next(names)
        username = LOGIN["manager"].username if t == 0 else f"manager_{t + 1}"
        managers.append(username)
        rows.append(
            {
                **base,
                "username": username,
                "first_name": first,
                "last_name": last,
                "role": Role.MANAGER,
                "team": team,
                "is_staff": True,
                "password": hashes["manager"],
                "email": f"{username}@demo.invalid",
            }
        )
    first, last = next(names)
    rows.append(
        {
            **base,
            "username": LOGIN["director"].username,
            "first_name": first,
            "last_name": last,
            "role": Role.MANAGER,
            "team": teams[0],
            "is_staff": True,
            "is_director": True,
            "password": make_password(LOGIN["director"].password),
            "email": "director@demo.invalid",
        }
    )
    first, last = next(names)
    rows.append(
        {
            **base,
            "username": LOGIN["admin"].username,
            "first_name": first,
            "last_name": last,
            "role": Role.ADMIN,
            "team": None,
            "is_staff": True,
            "is_superuser": True,
            "password": make_password(LOGIN["admin"].password),
            "email": "admin@demo.invalid",
        }
    )
    pks = _upsert_users(rows)
    staff = [pks[u] for u in [*managers, LOGIN["director"].username]]
    group.user_set.add(*staff)
    rep_pks = np.array([pks[r["username"]] for r in rows[: len(rep_team)]], dtype=np.int64)
    rep_team_arr = np.array(rep_team)
    return DemoPeople(
        team_ids=np.array([t.pk for t in teams], dtype=np.int64),
        reps_by_team=[rep_pks[rep_team_arr == t] for t in range(len(teams))],
    )


def demo_logins_rows() -> list[dict]:
    """One row per demo login with what that user sees; missing users are reported as such."""
    from customers.access import customers_visible_to

    users = {
        u.username: u
        for u in User.objects.filter(username__in=[d.username for d in DEMO_LOGINS]).select_related(
            "team"
        )
    }
    rows = []
    for login in DEMO_LOGINS:
        user = users.get(login.username)
        rows.append(
            {
                "role": login.role,
                "username": login.username,
                "password": login.password,
                "sees": login.description,
                "team": user.team.name if user and user.team else "",
                "customers": customers_visible_to(user).count() if user else None,
            }
        )
    return rows

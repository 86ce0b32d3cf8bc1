import pytest

from strategies.models import Playbook


@pytest.fixture
def no_library(db):
    """Switches the default library off so a test sees only the playbooks it makes."""
    Playbook.objects.update(active=False)

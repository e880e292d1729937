from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from portal.quantities import parse_quantity, quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500m", Decimal("0.5")),
        ("2", Decimal(2)),
        ("1.5", Decimal("1.5")),
        ("512Mi", Decimal(512 * 2**20)),
        ("10Gi", Decimal(10 * 2**30)),
        ("1k", Decimal(1000)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("+4", Decimal(4)),
        (".5", Decimal("0.5")),
        ("100n", Decimal("1e-7")),
    ],
)
def test_it_reads_kubernetes_quantities(text, value):
    assert parse_quantity(text) == value
    quantity(text)


@pytest.mark.parametrize("text", ["lots", "", "5 Gi", "-1", "1.5.5", "Gi", "1gi", "1KiB", "1e", "0x10", "∞"])
def test_it_refuses_what_kubernetes_refuses(text):
    with pytest.raises(ValueError):
        parse_quantity(text)
    with pytest.raises(ValidationError):
        quantity(text)

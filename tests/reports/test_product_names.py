"""One name per product everywhere: the packet and the staff screens take theirs from the
domain's one table, which names every product the store allows."""

from __future__ import annotations

from followup.domain.records import PRODUCT_NAMES, PRODUCT_SHORT_NAMES, PRODUCTS
from followup.reports import packet_html
from followup.ui.widgets import formatting


def test_every_product_has_one_name_and_one_short_name() -> None:
    assert set(PRODUCT_NAMES) == set(PRODUCT_SHORT_NAMES) == set(PRODUCTS)
    assert len(set(PRODUCT_NAMES.values())) == len(PRODUCTS)


def test_the_packet_and_the_screens_use_the_same_names() -> None:
    for code, name in PRODUCT_NAMES.items():
        assert formatting.product(code) == name
        assert packet_html.PRODUCTS[code] == name
        assert packet_html.SHORT_PRODUCTS[code] == PRODUCT_SHORT_NAMES[code]

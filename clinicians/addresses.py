"""The client's network address, the same way everywhere (audit log, lockout, limits).

Behind a load balancer REMOTE_ADDR is the balancer, and X-Forwarded-For is a list the
client starts and each proxy appends to. Only the entries our own proxies appended can
be believed, so the setting ALLIANCE_TRUSTED_PROXIES says which those are:

- 0 (the default): no proxy is trusted; X-Forwarded-For is ignored.
- a number N: exactly N proxies sit in front of the app and every request comes
  through them; the client is the N-th address from the right of the chain
  (REMOTE_ADDR included).
- a list of networks: a hop inside them is a proxy; walking the chain from REMOTE_ADDR
  leftwards, the first address outside them is the client. A peer outside them is the
  client itself, whatever its header says.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _valid(text: str) -> str | None:
    text = text.strip()
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


@lru_cache(maxsize=8)
def _networks(specs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(spec.strip(), strict=False) for spec in specs)


def trusted_proxies() -> int | tuple[Network, ...]:
    value = getattr(settings, "ALLIANCE_TRUSTED_PROXIES", 0)
    if isinstance(value, int):
        return max(0, value)
    return _networks(tuple(value))


def _chain(request: HttpRequest) -> list[str]:
    """The forwarded chain with the direct peer last: [client?, ..., proxy, peer]."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = forwarded.split(",") if forwarded else []
    return [*hops, request.META.get("REMOTE_ADDR", "")]


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address as far as our trusted proxies vouch for it; None if unknown."""
    if request is None:
        return None
    peer = _valid(request.META.get("REMOTE_ADDR", "") or "")
    trusted = trusted_proxies()
    if peer is None or not trusted:
        return peer
    chain = _chain(request)
    known = peer
    if isinstance(trusted, int):
        # The last `trusted` hops were added by our proxies; the one before them is what
        # the outermost proxy saw. A shorter chain means fewer hops than configured:
        # take the furthest one a proxy wrote.
        for raw in reversed(chain[-(trusted + 1) : -1]):
            address = _valid(raw)
            if address is None:
                return known  # a proxy never writes junk: the client did; stop here
            known = address
        return known
    address_obj = ipaddress.ip_address(peer)
    if not any(address_obj in net for net in trusted):
        return peer
    for raw in reversed(chain[:-1]):
        address = _valid(raw)
        if address is None:
            return known
        known = address
        if not any(ipaddress.ip_address(address) in net for net in trusted):
            return address
    return known


def axes_client_address(request: HttpRequest) -> str | None:
    """django-axes' AXES_CLIENT_IP_CALLABLE."""
    return client_address(request)

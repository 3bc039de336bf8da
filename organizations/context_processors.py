from .selectors import membership_of


def membership(request):
    user = getattr(request, "user", None)
    m = membership_of(user) if user is not None else None
    return {"membership": m, "role": m.role if m else None}

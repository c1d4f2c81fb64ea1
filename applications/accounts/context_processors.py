def current_organisation(request):
    """The organisation the user is working for (set by the portal's organisation switcher)."""
    return {"current_organisation": getattr(request, "current_organisation", None)}

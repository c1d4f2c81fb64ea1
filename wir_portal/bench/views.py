from django.shortcuts import render


def bare(request):
    """A trivial template view: the floor the benchmark compares every page against."""
    return render(request, "bench/bare.html", {"value": 42})

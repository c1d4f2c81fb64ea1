from django.http import HttpResponse


def register(request):
    return HttpResponse("Registrieren")

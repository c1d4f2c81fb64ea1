"""Issue 16: the development server answers 404 (not 500) to a path leaving the static folder."""

from io import BytesIO

import pytest
from django.core.management import get_commands, load_command_class


def _dev_handler():
    """The WSGI handler `manage.py runserver` serves, with its default options."""
    command = load_command_class(get_commands()["runserver"], "runserver")
    options = vars(command.create_parser("manage.py", "runserver").parse_args([]))
    return command.get_handler(**options)


def _status(handler, path):
    statuses = []
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
           "wsgi.input": BytesIO(), "wsgi.url_scheme": "http", "QUERY_STRING": "", "HTTP_HOST": "127.0.0.1"}
    response = handler(env, lambda status, headers, *args: statuses.append(status))
    if hasattr(response, "close"):
        response.close()
    return int(statuses[0].split()[0])


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/static/../var/", "/static/../var/secret_key", "/static/..%2fvar/secret_key",
                                  "/static/%00", "/static/css/does-not-exist.css"])
def test_dev_server_static_traversal_is_404(path, settings):
    settings.DEBUG = True  # as under runserver
    assert _status(_dev_handler(), path) == 404


@pytest.mark.django_db
def test_dev_server_still_serves_static_files(settings):
    settings.DEBUG = True
    assert _status(_dev_handler(), "/static/js/plan.js") == 200

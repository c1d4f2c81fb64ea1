"""Attachment uploads: checked by size, extension and content (magic bytes), stored privately with a SHA-256."""

import hashlib
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError

from applications.models import Attachment

# extension -> (content type, check)
ALLOWED = {
    ".pdf": "application/pdf",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
ALLOWED_LABEL = "PDF, DOCX, XLSX, ODT, JPEG oder PNG"


def _zip_members(head_file) -> set[str]:
    try:
        with zipfile.ZipFile(head_file) as zf:
            return set(zf.namelist())
    except (zipfile.BadZipFile, OSError):
        return set()
    finally:
        head_file.seek(0)


def _content_matches(ext: str, upload) -> bool:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if ext == ".pdf":
        return head.startswith(b"%PDF-")
    if ext in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if ext in (".docx", ".xlsx", ".odt"):
        if not head.startswith(b"PK\x03\x04"):
            return False
        members = _zip_members(upload)
        if ext == ".docx":
            return "[Content_Types].xml" in members and any(m.startswith("word/") for m in members)
        if ext == ".xlsx":
            return "[Content_Types].xml" in members and any(m.startswith("xl/") for m in members)
        if "mimetype" not in members:
            return False
        with zipfile.ZipFile(upload) as zf:
            mimetype = zf.read("mimetype")
        upload.seek(0)
        return mimetype.strip() == b"application/vnd.oasis.opendocument.text"
    return False


def validate_upload(upload) -> tuple[str, str]:
    """Return (extension, content type) or raise ValidationError with a German message."""
    name = PurePath(upload.name or "").name
    ext = PurePath(name).suffix.lower()
    if ext not in ALLOWED:
        raise ValidationError(f"Dateityp „{ext or 'ohne Endung'}“ ist nicht erlaubt. Erlaubt sind {ALLOWED_LABEL}.")
    if upload.size > settings.WIR_MAX_UPLOAD_BYTES:
        raise ValidationError(
            f"Die Datei ist {upload.size / 1024 / 1024:.1f} MB groß; erlaubt sind höchstens "
            f"{settings.WIR_MAX_UPLOAD_BYTES // 1024 // 1024} MB.".replace(".", ",", 1)
        )
    if upload.size == 0:
        raise ValidationError("Die Datei ist leer.")
    if not _content_matches(ext, upload):
        raise ValidationError(
            f"Der Inhalt der Datei passt nicht zur Endung „{ext}“. Bitte laden Sie eine echte {ext[1:].upper()}-Datei hoch."
        )
    return ext, ALLOWED[ext]


def attachment_store(*, application, user, kind: str, upload, check_editable: bool = True) -> Attachment:
    from applications.audit import ApplicationError

    if check_editable and not application.is_editable:
        raise ApplicationError("Der Antrag ist eingereicht; Anlagen können nur nach einer Nachforderung ergänzt werden.")
    _, content_type = validate_upload(upload)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks() if hasattr(upload, "chunks") else [upload.read()]:
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        application=application, kind=kind, original_name=PurePath(upload.name).name[:255],
        content_type=content_type, size=upload.size, sha256=digest.hexdigest(), uploaded_by=user,
    )
    attachment.file.save(attachment.original_name, upload, save=False)
    attachment.save()
    return attachment

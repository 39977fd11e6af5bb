"""QR codes of verification links, as PNG bytes."""

from __future__ import annotations

import io


def qr_png(url: str) -> bytes:
    # Imported by the first QR, not when the bot starts: qrcode loads Pillow.
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=8, border=3)
    code.add_data(url)
    code.make(fit=True)
    image = code.make_image()
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()

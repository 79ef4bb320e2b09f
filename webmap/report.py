"""Public report of a damaged or missing sign (rate-limited, optional photo)."""

from __future__ import annotations

from flask import current_app
from flask import flash
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DecimalField
from wtforms import SelectField
from wtforms import StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired
from wtforms.validators import Length
from wtforms.validators import NumberRange
from wtforms.validators import Optional

from gis.errors import InvalidInput
from placenames.models import SIGN_CONTRACTS
from placenames.signs import usecases
from webmap.db import get_session
from webmap.errors import form_errors
from webmap.errors import problem
from webmap.public import bp
from webmap.security import rate_limited
from webmap.signs_bp import uploaded_photo


class ReportForm(FlaskForm):
    reason = SelectField(
        _l("Problem"),
        choices=[
            SelectChoice("damaged", _l("damaged")),
            SelectChoice("missing", _l("missing")),
            SelectChoice("wrong_text", _l("wrong text")),
            SelectChoice("other", _l("other")),
        ],
    )
    sign_code = StringField(
        _l("Sign code (if visible)"), validators=[Optional(), Length(max=SIGN_CONTRACTS["code"].max_length)]
    )
    description = TextAreaField(_l("What is wrong, where?"), validators=[DataRequired(), Length(max=1000)])
    lon = DecimalField(_l("Longitude"), places=6, validators=[Optional(), NumberRange(106.2, 107.4)])
    lat = DecimalField(_l("Latitude"), places=6, validators=[Optional(), NumberRange(39.0, 40.1)])
    contact = StringField(_l("Contact (optional)"), validators=[Optional(), Length(max=100)])
    photo = FileField(_l("Photo"))


def _report_page(*, error: str | None = None, status: int = 200, exc=None, **_kw):
    """The report form again with the reason a report was refused (the form keeps what was typed).

    Browsers get the page with the error's status; other clients (no ``text/html`` in ``Accept``)
    the problem details, as from every form.
    """
    if exc is not None and not request.accept_mimetypes.accept_html:
        resp = jsonify(problem(exc, status))
        resp.mimetype = "application/problem+json"
        return resp, status
    form = ReportForm()
    if error:
        form.validate()  # the fields show their own messages again
        if exc is not None and exc.field == "sign_code" and not form.sign_code.errors:
            error = _("No sign has the code %(code)s.", code=form.sign_code.data)
        flash(error, "error")
    return render_template("report.html", form=form), status


@bp.route("/report", methods=["GET", "POST"])
@rate_limited("report")
@form_errors(_report_page)
def report():
    """Anyone may report a sign problem; it becomes a work order for the sign maintainers."""
    form = ReportForm()
    if not form.is_submitted():
        return render_template("report.html", form=form)
    if not form.validate():
        name, messages = next(iter(form.errors.items()))
        raise InvalidInput(f"{name}: {messages[0]}", field=name)
    session = get_session()
    photo = uploaded_photo(form.photo.data)
    usecases.report_damage(
        session,
        actor="public",
        reason=form.reason.data,
        description=form.description.data,
        sign_code=form.sign_code.data,
        lon=float(form.lon.data) if form.lon.data is not None else None,
        lat=float(form.lat.data) if form.lat.data is not None else None,
        contact=form.contact.data or None,
        photos=[photo] if photo else [],
        instance_dir=current_app.instance_path,
    )
    session.commit()
    flash(_("Thank you: your report was received."), "ok")
    return redirect(url_for("public.report"))

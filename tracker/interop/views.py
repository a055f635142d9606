"""The queue of received results that staff resolve, and the FHIR export. Each view: check
access, fetch or 404, validate a form, call one service, redirect or render."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST, require_safe

from patients.access import LIST, shows_patient_data
from patients.models import Patient
from patients.roles import VIEW_PATIENT_DATA
from tracker.interop import fhir_out, forms, selectors, services
from tracker.interop.models import InboundResult

ENTER_LAB_RESULTS = "patients.enter_lab_results"
QUEUE_PERMISSIONS = [VIEW_PATIENT_DATA, ENTER_LAB_RESULTS]
QUEUE_PER_PAGE = 25
FHIR_JSON = "application/fhir+json"


@shows_patient_data(kind=LIST)
@require_safe
@permission_required(QUEUE_PERMISSIONS, raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    filters = forms.QueueFilterForm(request.GET)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    results = selectors.queued_results(
        reason=chosen.get("reason", ""), sender=chosen.get("sender", ""), q=chosen.get("q", "")
    )
    page = Paginator(results, QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    unreadable_count, unreadable = selectors.unreadable_messages()
    return render(
        request,
        "interop/queue.html",
        {
            "filters": filters,
            "senders": selectors.queue_senders(),
            "page_obj": page,
            "page_range": page.paginator.get_elided_page_range(page.number, on_each_side=2),
            "unreadable_count": unreadable_count,
            "unreadable": unreadable,
        },
    )


def _item(pk: int) -> InboundResult:
    try:
        return selectors.queue_item(pk)
    except InboundResult.DoesNotExist:
        raise Http404("No such received result.") from None


def _item_page(request: HttpRequest, result: InboundResult, **forms_given) -> HttpResponse:
    search = forms.PatientSearchForm(request.GET if "q" in request.GET else None)
    candidates = selectors.patient_candidates(search.cleaned_data["q"]) if search.is_valid() else []
    context = {
        "result": result,
        "message": result.message,
        "siblings": selectors.message_results(result.message),
        "search": search,
        "candidates": candidates,
        "map_form": forms_given.get("map_form") or forms.MapCodeForm(),
        "reject_form": forms_given.get("reject_form") or forms.RejectForm(),
        "errors": forms_given.get("errors", []),
    }
    return render(request, "interop/queue_item.html", context)


@shows_patient_data(kind=LIST)
@require_safe
@permission_required(QUEUE_PERMISSIONS, raise_exception=True)
def queue_item(request: HttpRequest, inboundresult_pk: int) -> HttpResponse:
    return _item_page(request, _item(inboundresult_pk))


def _done(request: HttpRequest, result: InboundResult, text: str) -> HttpResponse:
    messages.success(request, text)
    return redirect("interop:queue_item", inboundresult_pk=result.pk)


def _refused(request, result, exc: ValidationError, **forms_given) -> HttpResponse:
    errors = [m for field_messages in exc.message_dict.values() for m in field_messages]
    return _item_page(request, _item(result.pk), errors=errors, **forms_given)


@shows_patient_data(kind=LIST)
@require_POST
@permission_required(QUEUE_PERMISSIONS, raise_exception=True)
def match(request: HttpRequest, inboundresult_pk: int) -> HttpResponse:
    result = _item(inboundresult_pk)
    form = forms.MatchPatientForm(request.POST)
    if not form.is_valid():
        return _item_page(request, result, errors=["Choose a patient from the search results."])
    patient = Patient.objects.filter(pk=form.cleaned_data["patient"]).first()
    try:
        services.queue_match_patient(result=result, patient=patient, by=request.user)
    except ValidationError as exc:
        return _refused(request, result, exc)
    return _done(request, result, f"Matched to {patient.name}; the results were processed again.")


@shows_patient_data(kind=LIST)
@require_POST
@permission_required(QUEUE_PERMISSIONS, raise_exception=True)
def map_code(request: HttpRequest, inboundresult_pk: int) -> HttpResponse:
    result = _item(inboundresult_pk)
    form = forms.MapCodeForm(request.POST)
    if not form.is_valid():
        return _item_page(request, result, map_form=form)
    try:
        services.queue_map_code(result=result, target=form.cleaned_data["target"], by=request.user)
    except ValidationError as exc:
        return _refused(request, result, exc, map_form=form)
    return _done(request, result, f"Code {result.code} mapped; waiting results processed again.")


@shows_patient_data(kind=LIST)
@require_POST
@permission_required(QUEUE_PERMISSIONS, raise_exception=True)
def reject(request: HttpRequest, inboundresult_pk: int) -> HttpResponse:
    result = _item(inboundresult_pk)
    form = forms.RejectForm(request.POST)
    if not form.is_valid():
        return _item_page(request, result, reject_form=form)
    try:
        services.queue_reject(result=result, reason=form.cleaned_data["reason"], by=request.user)
    except ValidationError as exc:
        return _refused(request, result, exc, reject_form=form)
    return _done(request, result, "Result rejected; the reason is kept.")


@shows_patient_data(kind=LIST)
@require_POST
@permission_required(QUEUE_PERMISSIONS, raise_exception=True)
def retry(request: HttpRequest, inboundresult_pk: int) -> HttpResponse:
    result = _item(inboundresult_pk)
    try:
        services.queue_retry(result=result, by=request.user)
    except ValidationError as exc:
        return _refused(request, result, exc)
    return _done(request, result, "Processed again.")


@shows_patient_data(patient="pk")
@require_safe
@permission_required(VIEW_PATIENT_DATA, raise_exception=True)
def patient_everything(request: HttpRequest, pk: int) -> HttpResponse:
    """FHIR ``Patient/$everything``: the patient's record as an R4 Bundle."""
    patient = get_object_or_404(Patient, pk=pk)
    return JsonResponse(fhir_out.patient_everything(patient), content_type=FHIR_JSON)

"""factory_boy factories for users, patients and courses."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth.models import Group, User

from patients.models import Course, CourseStatus, Patient
from patients.roles import CLINIC_ADMIN, CLINICIAN, STAFF


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@clinic.example")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "correct horse battery")
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


def clinician(**kwargs) -> User:
    return UserFactory(role=CLINICIAN, **kwargs)


def staff(**kwargs) -> User:
    return UserFactory(role=STAFF, **kwargs)


def clinic_admin(**kwargs) -> User:
    return UserFactory(role=CLINIC_ADMIN, **kwargs)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    given_name = factory.Faker("first_name")
    family_name = factory.Faker("last_name")
    date_of_birth = dt.date(1998, 3, 14)
    profile = "US"
    category = "can_get_pregnant"
    category_assigned_on = dt.date(2026, 1, 5)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    patient = factory.SubFactory(PatientFactory)
    start = dt.date(2026, 9, 14)
    status = CourseStatus.ACTIVE
    weight_kg = 60

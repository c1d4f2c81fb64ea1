"""Ministry staff groups and their permissions (seeded; superusers can do everything)."""

from django.contrib.auth.models import Group, Permission

from applications.workflow import HAUSHALT_GROUP, STAFF_GROUPS, Actor

GROUP_PERMISSIONS: dict[str, list[str]] = {
    STAFF_GROUPS[Actor.SACHBEARBEITUNG]: [
        "applications.view_application", "applications.review_application",
        "applications.view_organisation", "applications.change_organisation", "applications.view_membership",
        "applications.view_internalnote", "applications.add_internalnote",
        "applications.view_message", "applications.add_message",
        "applications.view_attachment", "applications.view_event", "applications.view_notice",
        "applications.view_outboundmail", "applications.change_outboundmail",
        "funding.view_linerule", "funding.view_fundingline", "funding.view_programmeyear",
        "applications.view_organisationevent",
        "applications.view_payment", "applications.confirm_payment", "applications.view_paymentplan",
        "applications.add_paymentplan", "applications.change_paymentplan",
        # proof of use: check (draft and sign the Prüfvermerk); the countersignature is Bewilligung's
        "applications.view_proof", "applications.check_proof", "applications.view_proofcheck",
        "applications.view_proofreminder", "applications.view_proofterms",
        # revocation (applications/revocation/): opens, hears, prepares
        "applications.view_revocation", "applications.prepare_revocation", "applications.view_refundclaim",
    ],
    STAFF_GROUPS[Actor.BEWILLIGUNG]: [
        "applications.view_application", "applications.decide_application",
        "applications.view_organisation", "applications.view_internalnote", "applications.add_internalnote",
        "applications.view_message", "applications.view_attachment", "applications.view_event",
        "applications.view_notice", "applications.change_notice",
        "applications.view_outboundmail", "applications.change_outboundmail",
        "applications.view_legaltext", "applications.add_legaltext", "applications.change_legaltext",
        "applications.view_budget", "applications.view_reports",
        "funding.view_linerule", "funding.view_fundingline", "funding.view_programmeyear", "funding.view_ledgerentry",
        "applications.view_organisationevent",
        # proof of use: countersign the Prüfvermerk (four eyes); the terms per line and year are legal texts
        "applications.view_proof", "applications.countersign_proof", "applications.view_proofcheck",
        "applications.view_proofreminder", "applications.view_proofterms", "applications.add_proofterms",
        "applications.change_proofterms",
        # revocation: decides (never what the same person opened or prepared)
        "applications.view_revocation", "applications.decide_revocation", "applications.view_refundclaim",
    ],
    HAUSHALT_GROUP: [
        "applications.view_application", "applications.view_budget", "applications.view_reports",
        # bank account and kind of an organisation (not Sachbearbeitung; four eyes once payments exist)
        "applications.view_organisation", "applications.change_organisation", "applications.change_bank_details",
        "funding.view_programmeyear", "funding.add_programmeyear", "funding.change_programmeyear",
        "funding.view_fundingline", "funding.add_fundingline", "funding.change_fundingline",
        "funding.view_linerule", "funding.add_linerule", "funding.change_linerule",
        "funding.view_ledgerentry", "funding.view_district", "funding.change_district",
        "funding.view_administrativecourt", "funding.change_administrativecourt",
        "funding.view_fundingperiod", "funding.add_fundingperiod", "funding.change_fundingperiod",
        "funding.view_baserate", "funding.add_baserate",
        "applications.view_payment", "applications.order_payment", "applications.view_paymentrun",
        "applications.view_paymentplan",
        # revocation: the claims and their payments received
        "applications.view_revocation", "applications.view_refundclaim", "applications.record_refund",
    ],
}


def seed_groups() -> None:
    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)

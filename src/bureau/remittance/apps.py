from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    name = "bureau.remittance"
    label = "remittance"
    verbose_name = "Remittance"

    def ready(self) -> None:
        # The claim page's money panel (bureau.ledger.selectors.claim_money) lists the claim's
        # ERA loops; remittance sits above the ledger and claims, so it hands them its reader
        # rather than being imported by them.
        from bureau.ledger.selectors import register_remittance_reader
        from bureau.remittance.selectors import remittances_for_claim

        register_remittance_reader(remittances_for_claim)

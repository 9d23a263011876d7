select
    icb_code,
    icb_ons_code,
    icb_name,
    icb_long_name,
    region_code,
    region_name,
    valid_from,
    valid_to,
    successor_icb_code
from {{ ref('ref_icb') }}

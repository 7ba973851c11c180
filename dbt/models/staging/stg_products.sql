select
    sku,
    name as product_name,
    type as product_type,
    price / 100.0 as price,
    description
from {{ source('staging', 'products') }}

select
    id as order_id,
    customer as customer_id,
    store_id,
    ordered_at,
    cast(ordered_at as date) as date_key,
    subtotal / 100.0 as subtotal,
    tax_paid / 100.0 as tax_paid,
    order_total / 100.0 as order_total,
    status,
    updated_at
from {{ source('staging', 'orders') }}

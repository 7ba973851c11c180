-- One row per item sold, over everything staged so far: what fct_sales stores day by day, and what the metric
-- marts aggregate (they read this view, not fct_sales, so a mart never waits for another partition's run).
select
    i.item_id,
    o.order_id,
    o.date_key,
    o.ordered_at,
    o.customer_id,
    o.store_id,
    i.sku,
    p.product_type,
    p.price as amount,
    o.status
from {{ ref('stg_items') }} as i
join {{ ref('stg_orders') }} as o on o.order_id = i.order_id
join {{ ref('stg_products') }} as p on p.sku = i.sku

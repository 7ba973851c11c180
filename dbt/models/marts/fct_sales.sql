-- One row per item sold: Pattern A's target model. Incremental by day: a run for one partition deletes that
-- day's rows and inserts them again, so re-running a partition leaves the table identical.
{{
  config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='date_key',
  )
}}

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
{% if var('partition') is not none %}
where o.date_key = cast('{{ var("partition") }}' as date)
{% endif %}

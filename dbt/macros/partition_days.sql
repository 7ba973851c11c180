{#
  The days a run for var('partition') rebuilds: the partition itself, and the days of the orders that changed
  during it (an order placed earlier and returned today changes that earlier day's sales). So whatever order a
  backfill runs its partitions in, each day ends up built from the rows of its last change, as a full run would.
#}
{% macro partition_days() -%}
(
  select cast('{{ var("partition") }}' as date) as day
  union
  select date_key as day
  from {{ ref('stg_orders') }}
  where updated_at >= cast('{{ var("partition") }}' as timestamp)
    and updated_at < cast('{{ var("partition") }}' as timestamp) + interval 1 day
)
{%- endmacro %}

{#- Money that a source system stores in integer cents, as an exact DECIMAL amount in dollars. -#}
{% macro cents_to_dollars(column_name) -%}
    (CAST({{ column_name }} AS DECIMAL(18, 2)) * 0.01)
{%- endmacro %}

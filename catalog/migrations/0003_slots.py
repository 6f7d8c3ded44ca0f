"""Dense slot numbers for uniform random selection (catalog.selectors.image_random).

Replaces Image.random_key: every image gets a slot 0..n-1 and every image-category link a row in
CategorySlot numbered 0..n-1 within its category. Existing rows are numbered here in one
statement each (UPDATE ... FROM and window functions: PostgreSQL, and SQLite 3.33 or later).
"""

import django.db.models.deletion
from django.db import migrations, models

NUMBER_IMAGES = """
UPDATE catalog_image SET slot = numbered.n
FROM (SELECT id, row_number() OVER (ORDER BY created_at, id) - 1 AS n FROM catalog_image) numbered
WHERE numbered.id = catalog_image.id
"""
NUMBER_LINKS = """
INSERT INTO catalog_categoryslot (category_id, slot, image_id)
SELECT category_id, row_number() OVER (PARTITION BY category_id ORDER BY image_id) - 1, image_id
FROM catalog_image_categories
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_indexes")]

    operations = [
        migrations.AddField(
            model_name="image",
            name="slot",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.CreateModel(
            name="CategorySlot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slot", models.PositiveIntegerField()),
                (
                    "category",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="catalog.category",
                    ),
                ),
                (
                    "image",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="category_slots",
                        to="catalog.image",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("category", "slot"), name="categoryslot_slot"),
                    models.UniqueConstraint(fields=("image", "category"), name="categoryslot_link"),
                ],
            },
        ),
        migrations.RunSQL(NUMBER_IMAGES, migrations.RunSQL.noop, elidable=False),
        migrations.RunSQL(NUMBER_LINKS, migrations.RunSQL.noop, elidable=False),
        migrations.AlterField(
            model_name="image",
            name="slot",
            field=models.PositiveIntegerField(editable=False, unique=True),
        ),
        migrations.RemoveField(model_name="image", name="random_key"),
    ]
